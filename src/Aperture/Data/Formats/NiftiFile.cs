using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Data.Formats;

/// <summary>
/// Reads and writes NIfTI-1 single-file volumes, <c>.nii</c> and <c>.nii.gz</c> (gzip is recognised by its magic bytes,
/// not the name). Reading accepts either byte order (the one in which sizeof_hdr reads 348), the datatypes of
/// <see cref="NiftiDataType"/>, and applies scl_slope/scl_inter (slope 0 means none). Voxels come back as a tensor
/// <c>[D, H, W]</c> = <c>[k, j, i]</c>: NIfTI stores i (dim[1]) fastest, so the file's voxel order read as a row-major
/// array puts i last. Every size is checked against the file's length before anything is allocated, and every problem
/// (short file, bad sizeof_hdr or magic, unsupported datatype, dims ≤ 0 or absurd, data shorter than the dims say, a
/// corrupt gzip stream) is one <see cref="InvalidDataException"/> naming the file. Writing is little-endian, magic
/// "n+1", vox_offset 352 (no extensions), atomic (a temporary file, then renamed).
/// </summary>
public static class NiftiFile
{
    /// <summary>Most bytes of voxel data read by default (2 GiB − 1, one .NET array).</summary>
    public const long DefaultMaxBytes = int.MaxValue;

    /// <summary>Deflate's largest compression ratio (about 1032:1): a gzip file cannot hold more than this many
    /// times its own size, which bounds a <c>.nii.gz</c>'s data before it is decompressed.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Reads a volume.</summary>
    /// <param name="path">A <c>.nii</c> or <c>.nii.gz</c> file.</param>
    /// <param name="maxBytes">Most bytes of voxel data to accept.</param>
    /// <returns>The voxels <c>[D, H, W]</c> and the header, whose scaling fields are reset to "none" once applied, so
    /// that the header always describes the returned tensor (write it back with <see cref="Write(string, Tensor, NiftiHeader)"/>
    /// and the values stay the same).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the problem.</exception>
    public static NiftiVolume Read(string path, long maxBytes = DefaultMaxBytes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such NIfTI file", path);
        using var file = File.OpenRead(path);
        long fileLength = file.Length;
        bool gz = IsGzip(file);
        uint? isize = null;
        if (gz && fileLength >= 18)
        {
            Span<byte> tail = stackalloc byte[4];
            file.Seek(-4, SeekOrigin.End);
            file.ReadExactly(tail);
            isize = BinaryPrimitives.ReadUInt32LittleEndian(tail);
            file.Seek(0, SeekOrigin.Begin);
        }
        using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        var head = new byte[NiftiHeader.Size];
        int got = Fill(stream, head, path, gz);
        if (got < head.Length)
            throw new InvalidDataException($"{path}: {got} bytes{(gz ? " after decompression" : "")}, but a NIfTI-1 header alone is {NiftiHeader.Size}");
        var header = NiftiHeader.Parse(head, path);
        long[] shape = Shape(header, path);
        long voxels = shape[0] * shape[1] * shape[2];
        int size = NiftiDataTypes.Bits(header.DataType) / 8;
        long needed = voxels * size;
        if (needed > maxBytes)
            throw new InvalidDataException($"{path}: dims [{string.Join(", ", header.Dim)}] give {needed} bytes of voxels, more than the {maxBytes} this reader accepts");
        float vox = header.VoxOffset;
        if (!float.IsFinite(vox) || vox < NiftiHeader.Size || vox != MathF.Floor(vox) || vox > 1 << 30)
            throw new InvalidDataException($"{path}: vox_offset {vox} is not a whole number of bytes at or after the {NiftiHeader.Size}-byte header");
        long offset = (long)vox;
        if (!gz && offset + needed > fileLength)
            throw new InvalidDataException($"{path}: the data is shorter than the dims say: [{string.Join(", ", shape)}] {header.DataType} voxels need {needed} bytes from offset {offset}, the file has {fileLength} bytes");
        if (gz && offset + needed > fileLength * MaxDeflateRatio + 1024)
            throw new InvalidDataException($"{path}: the data is shorter than the dims say: [{string.Join(", ", shape)}] {header.DataType} voxels need {needed} bytes, more than a {fileLength}-byte gzip file can hold");
        Skip(stream, offset - NiftiHeader.Size, path, gz);
        byte[] raw = ReadData(stream, needed, gz && isize == (uint)((offset + needed) & 0xFFFFFFFF), path, gz, shape, header.DataType);
        var data = ToTensor(raw, header.DataType, header.BigEndian, shape);
        float slope = header.SclSlope, inter = header.SclInter;
        if (slope != 0 && float.IsFinite(slope) && float.IsFinite(inter) && !(slope == 1 && inter == 0))
        {
            using var scope = NewDisposeScope();
            var scaled = data.to_type(data.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32).mul(slope).add(inter);
            data.Dispose();
            data = scaled.MoveToOuterDisposeScope();
        }
        return new NiftiVolume(data, header with { SclSlope = 0, SclInter = 0 });
    }

    /// <summary>Reads only the header (and checks its dims), without the voxels.</summary>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static NiftiHeader ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such NIfTI file", path);
        using var file = File.OpenRead(path);
        bool gz = IsGzip(file);
        using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
        var head = new byte[NiftiHeader.Size];
        int got = Fill(stream, head, path, gz);
        if (got < head.Length) throw new InvalidDataException($"{path}: {got} bytes, but a NIfTI-1 header alone is {NiftiHeader.Size}");
        var header = NiftiHeader.Parse(head, path);
        Shape(header, path);
        return header;
    }

    /// <summary>
    /// Writes a volume with the spatial fields of <paramref name="header"/> (pixdim, qform, sform, units, description)
    /// and its scaling (stored values are the tensor's; a reader multiplies by scl_slope and adds scl_inter); dims,
    /// datatype, bitpix and vox_offset come from the tensor. <c>.gz</c> at the end of the name writes gzip.
    /// </summary>
    /// <param name="path">Target file.</param>
    /// <param name="data">Voxels <c>[D, H, W]</c> or <c>[H, W]</c>, of a type <see cref="NiftiDataTypes.Of"/> accepts.</param>
    /// <param name="header">Spatial metadata, e.g. the header a volume was read with.</param>
    /// <exception cref="ArgumentException">The tensor is not 2-D or 3-D, a side exceeds 32767, or its type has no NIfTI code here.</exception>
    public static void Write(string path, Tensor data, NiftiHeader header)
    {
        if (data.dim() is not (2 or 3)) throw new ArgumentException($"{path}: NIfTI volumes are written from [D, H, W] or [H, W] tensors, got [{string.Join(", ", data.shape)}]");
        var type = NiftiDataTypes.Of(data.dtype);
        long d = data.dim() == 3 ? data.shape[0] : 1, h = data.shape[^2], w = data.shape[^1];
        foreach (long s in new[] { d, h, w })
            if (s is < 1 or > short.MaxValue) throw new ArgumentException($"{path}: side {s} of [{string.Join(", ", data.shape)}] is outside NIfTI-1's 1..{short.MaxValue}");
        var dim = (short[])header.Dim.Clone();
        dim[0] = (short)(data.dim() == 2 ? 2 : 3); dim[1] = (short)w; dim[2] = (short)h; dim[3] = (short)d;
        for (int i = 4; i < 8; i++) dim[i] = 1;
        var pix = (float[])header.PixDim.Clone();
        if (pix[0] != -1) pix[0] = 1;
        var written = header with { Dim = dim, PixDim = pix, DataType = type, VoxOffset = 352, BigEndian = false };
        byte[] bytes = ToBytes(data);
        AtomicFile.Write(path, s =>
        {
            Stream target = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true) : s;
            target.Write(written.ToBytes());
            target.Write(new byte[4]);  // extension flag: none
            target.Write(bytes);
            if (!ReferenceEquals(target, s)) target.Dispose();
        });
    }

    /// <summary>Writes a volume with voxel-to-world <paramref name="affine"/> (null: 1 mm isotropic at the origin) and no scaling.</summary>
    /// <param name="path">Target file (<c>.nii</c> or <c>.nii.gz</c>).</param>
    /// <param name="data">Voxels <c>[D, H, W]</c> or <c>[H, W]</c>.</param>
    /// <param name="affine">4x4 row-major affine, or null.</param>
    public static void Write(string path, Tensor data, double[,]? affine = null)
    {
        if (data.dim() is not (2 or 3)) throw new ArgumentException($"{path}: NIfTI volumes are written from [D, H, W] or [H, W] tensors, got [{string.Join(", ", data.shape)}]");
        int d = data.dim() == 3 ? (int)Math.Min(data.shape[0], short.MaxValue) : 1;
        int h = (int)Math.Min(data.shape[^2], short.MaxValue), w = (int)Math.Min(data.shape[^1], short.MaxValue);
        Write(path, data, NiftiHeader.ForVolume(Math.Max(d, 1), Math.Max(h, 1), Math.Max(w, 1), NiftiDataTypes.Of(data.dtype), affine));
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Seek(0, SeekOrigin.Begin);
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>The tensor shape <c>[D, H, W]</c> the dims describe, checked: dim[0] in 1..7, every used dim ≥ 1, and any
    /// axis beyond the third of size 1.</summary>
    private static long[] Shape(NiftiHeader header, string path)
    {
        var dim = header.Dim;
        if (dim[0] is < 1 or > 7) throw new InvalidDataException($"{path}: dim[0] = {dim[0]} dimensions (must be 1 to 7)");
        for (int i = 1; i <= dim[0]; i++)
            if (dim[i] < 1) throw new InvalidDataException($"{path}: dim[{i}] = {dim[i]} (every size must be at least 1)");
        for (int i = 4; i <= dim[0]; i++)
            if (dim[i] != 1) throw new InvalidDataException($"{path}: a {dim[0]}-D volume (dim[{i}] = {dim[i]}: time points or channels); only 2-D and 3-D volumes are read — split it into 3-D files");
        var (i0, j0, k0) = header.Extent;
        return [k0, j0, i0];
    }

    private static int Fill(Stream stream, byte[] buffer, string path, bool gz)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (InvalidDataException e) when (gz)
        {
            throw new InvalidDataException($"{path}: the gzip stream is corrupt ({e.Message})", e);
        }
        return total;
    }

    private static void Skip(Stream stream, long count, string path, bool gz)
    {
        var buffer = new byte[(int)Math.Min(Math.Max(count, 1), 1 << 16)];
        while (count > 0)
        {
            var chunk = count >= buffer.Length ? buffer : new byte[count];
            int n = Fill(stream, chunk, path, gz);
            if (n < chunk.Length) throw new InvalidDataException($"{path}: the file ends before vox_offset, where the voxels should start");
            count -= n;
        }
    }

    private static byte[] ReadData(Stream stream, long needed, bool sizeKnown, string path, bool gz, long[] shape, NiftiDataType type)
    {
        InvalidDataException Short(long got) => new($"{path}: the data is shorter than the dims say: [{string.Join(", ", shape)}] {type} voxels need {needed} bytes, the file holds {got}");
        if (!gz || sizeKnown)
        {
            // a plain file's length was checked; a gzip file's trailer says how much it decompresses to
            var all = new byte[needed];
            int got = Fill(stream, all, path, gz);
            if (got < needed) throw Short(got);
            return all;
        }
        // a gzip file whose trailer does not tell (multi-member): grow with the data actually there
        var chunks = new List<byte[]>();
        long total = 0;
        while (total < needed)
        {
            var chunk = new byte[Math.Min(needed - total, 16 << 20)];
            int got = Fill(stream, chunk, path, gz);
            total += got;
            if (got < chunk.Length) throw Short(total);
            chunks.Add(chunk);
        }
        var result = new byte[needed];
        long at = 0;
        foreach (var c in chunks) { Buffer.BlockCopy(c, 0, result, (int)at, c.Length); at += c.Length; }
        return result;
    }

    private static Tensor ToTensor(byte[] raw, NiftiDataType type, bool bigEndian, long[] shape)
    {
        bool swap = bigEndian == BitConverter.IsLittleEndian;
        switch (type)
        {
            case NiftiDataType.UInt8:
                return tensor(raw, shape, ScalarType.Byte);
            case NiftiDataType.Int8:
                return tensor(MemoryMarshal.Cast<byte, sbyte>(raw).ToArray(), shape);
            case NiftiDataType.Int16:
            {
                var v = MemoryMarshal.Cast<byte, short>(raw).ToArray();
                if (swap) BinaryPrimitives.ReverseEndianness(v, v);
                return tensor(v, shape);
            }
            case NiftiDataType.UInt16:
            {
                var v = MemoryMarshal.Cast<byte, ushort>(raw).ToArray();
                if (swap) BinaryPrimitives.ReverseEndianness(v, v);
                return tensor(v.Select(x => (int)x).ToArray(), shape);
            }
            case NiftiDataType.Int32:
            {
                var v = MemoryMarshal.Cast<byte, int>(raw).ToArray();
                if (swap) BinaryPrimitives.ReverseEndianness(v, v);
                return tensor(v, shape);
            }
            case NiftiDataType.Float32:
            {
                var bits = MemoryMarshal.Cast<byte, int>(raw).ToArray();
                if (swap) BinaryPrimitives.ReverseEndianness(bits, bits);
                return tensor(MemoryMarshal.Cast<int, float>(bits).ToArray(), shape);
            }
            case NiftiDataType.Float64:
            {
                var bits = MemoryMarshal.Cast<byte, long>(raw).ToArray();
                if (swap) BinaryPrimitives.ReverseEndianness(bits, bits);
                return tensor(MemoryMarshal.Cast<long, double>(bits).ToArray(), shape);
            }
            default:
                throw new InvalidDataException($"datatype {type} is not supported");
        }
    }

    /// <summary>The tensor's values as little-endian bytes in row-major order.</summary>
    private static byte[] ToBytes(Tensor data)
    {
        using var scope = NewDisposeScope();
        var t = data.detach().cpu().contiguous();
        byte[] bytes = t.dtype switch
        {
            ScalarType.Byte => t.data<byte>().ToArray(),
            ScalarType.Int8 => MemoryMarshal.AsBytes<sbyte>(t.data<sbyte>().ToArray()).ToArray(),
            ScalarType.Int16 => MemoryMarshal.AsBytes<short>(t.data<short>().ToArray()).ToArray(),
            ScalarType.Int32 => MemoryMarshal.AsBytes<int>(t.data<int>().ToArray()).ToArray(),
            ScalarType.Float32 => MemoryMarshal.AsBytes<float>(t.data<float>().ToArray()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes<double>(t.data<double>().ToArray()).ToArray(),
            _ => throw new ArgumentException($"NIfTI: cannot write a {t.dtype} tensor"),
        };
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("writing NIfTI on a big-endian machine");
        return bytes;
    }
}
