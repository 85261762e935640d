using System.Buffers.Binary;
using System.IO.Compression;
using Aperture.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// The IDX format of LeCun's MNIST (and Fashion-MNIST): a 4-byte magic number
/// (two zero bytes, an element type code, the number of dimensions), one big-endian <c>int32</c>
/// per dimension, then the elements in row-major order. Files may be gzip-compressed; compression
/// is recognised by the gzip magic bytes, not by the file name.
/// </summary>
/// <remarks>
/// Only element type <c>0x08</c> (unsigned byte) is read and written; it is the type of every
/// image and label file of MNIST and Fashion-MNIST. Every problem with a file is reported as one
/// <see cref="InvalidDataException"/> whose message starts with the file's path.
/// </remarks>
public static class IdxFile
{
    /// <summary>The element type code of unsigned bytes, the only one supported.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Largest number of dimensions accepted (the format allows 255; real files use 1 to 4).</summary>
    public const int MaxDimensions = 8;

    /// <summary>
    /// Reads an IDX file (raw or gzip) into a <c>uint8</c> tensor whose shape is the file's dimensions,
    /// e.g. <c>[N, 28, 28]</c> for an image file or <c>[N]</c> for a label file.
    /// </summary>
    /// <param name="path">The file; compressed or not.</param>
    /// <exception cref="InvalidDataException">The header is bad, the type is unsupported, or the data is truncated or too long; the message starts with <paramref name="path"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Tensor Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads IDX data (raw or gzip) from a stream into a <c>uint8</c> tensor shaped like the file's dimensions.
    /// </summary>
    /// <param name="stream">The data; it is read to its end.</param>
    /// <param name="name">The name used in error messages (a path or a resource name).</param>
    /// <exception cref="InvalidDataException">The data is not valid IDX; the message starts with <paramref name="name"/>.</exception>
    public static Tensor Read(Stream stream, string name)
    {
        var (dims, data) = ReadBytes(stream, name);
        return torch.tensor(data, dims, ScalarType.Byte);
    }

    /// <summary>
    /// Reads IDX data into its dimensions and raw bytes (row-major). Used where the bytes themselves
    /// are needed (e.g. to check a download's hash) without making a tensor.
    /// </summary>
    internal static (long[] Dims, byte[] Data) ReadBytes(Stream stream, string name)
    {
        Stream input = stream;
        GZipStream? gz = null;
        try
        {
            if (!stream.CanSeek)
            {
                // The gzip test peeks at two bytes, which needs a stream that can go back.
                var copy = new MemoryStream();
                stream.CopyTo(copy);
                copy.Position = 0;
                input = stream = copy;
            }
            Span<byte> first = stackalloc byte[2];
            int got = ReadFully(stream, first);
            stream.Seek(-got, SeekOrigin.Current);
            bool compressed = got == 2 && first[0] == 0x1f && first[1] == 0x8b;
            if (compressed) input = gz = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);

            try
            {
                return ReadPayload(input, name, compressed);
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
            {
                // GZipStream reports a corrupt or truncated compressed stream as InvalidDataException too.
                throw new InvalidDataException($"{name}: the gzip data is corrupt: {e.Message}", e);
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException($"{name}: the gzip data ends early: {e.Message}", e);
            }
        }
        finally
        {
            gz?.Dispose();
        }
    }

    private static (long[] Dims, byte[] Data) ReadPayload(Stream input, string name, bool compressed)
    {
        string what = compressed ? "decompressed data" : "file";
        Span<byte> magic = stackalloc byte[4];
        int got = ReadFully(input, magic);
        if (got < 4)
            throw new InvalidDataException($"{name}: the {what} is {got} bytes long, shorter than the 4-byte IDX magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"{name}: not an IDX file: the magic number must start with two zero bytes, found 0x{magic[0]:X2} 0x{magic[1]:X2}");
        byte type = magic[2];
        int rank = magic[3];
        if (type != UnsignedByte)
            throw new InvalidDataException($"{name}: unsupported IDX element type 0x{type:X2} ({TypeName(type)}); only 0x08 (unsigned byte) is supported");
        if (rank < 1 || rank > MaxDimensions)
            throw new InvalidDataException($"{name}: the IDX header declares {rank} dimensions; expected 1 to {MaxDimensions}");

        Span<byte> dimBytes = stackalloc byte[4 * rank];
        got = ReadFully(input, dimBytes);
        if (got < dimBytes.Length)
            throw new InvalidDataException($"{name}: truncated header: {rank} dimensions need {4 + 4 * rank} header bytes, the {what} has only {4 + got}");

        var dims = new long[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(dimBytes.Slice(4 * i, 4));
            if (d <= 0)
                throw new InvalidDataException($"{name}: dimension {i} of the IDX header is {d}; every dimension must be > 0");
            dims[i] = d;
            expected *= d;
            if (expected > Array.MaxLength)
                throw new InvalidDataException($"{name}: the IDX header declares more than {Array.MaxLength} elements ([{string.Join(", ", dims[..(i + 1)])}...]), too large to load");
        }

        var data = GC.AllocateUninitializedArray<byte>((int)expected);
        int read = ReadFully(input, data);
        if (read < expected)
            throw new InvalidDataException($"{name}: truncated: the header [{string.Join(", ", dims)}] needs {expected} data bytes, the {what} has only {read}");
        Span<byte> extra = stackalloc byte[1];
        if (ReadFully(input, extra) > 0)
        {
            long more = 1;
            var buf = new byte[1 << 16];
            int n;
            while ((n = input.Read(buf)) > 0) more += n;
            throw new InvalidDataException($"{name}: {more} unexpected bytes after the {expected} data bytes that the header [{string.Join(", ", dims)}] declares");
        }
        return (dims, data);
    }

    private static int ReadFully(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "not an IDX type",
    };

    /// <summary>
    /// Writes a <c>uint8</c> tensor of any shape (1 to <see cref="MaxDimensions"/> dimensions, each &gt; 0)
    /// as an IDX file, atomically (temporary file, then rename).
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="data">Elements, <c>uint8</c>, shape <c>[d0, d1, ...]</c>.</param>
    /// <param name="gzip">Compress with gzip; by default, when <paramref name="path"/> ends with <c>.gz</c>.</param>
    /// <exception cref="ArgumentException">The tensor is not <c>uint8</c> or has an unsupported shape.</exception>
    public static void Write(string path, Tensor data, bool? gzip = null)
    {
        if (data.dtype != ScalarType.Byte)
            throw new ArgumentException($"{path}: IDX writing needs a uint8 tensor, got {data.dtype}", nameof(data));
        long[] dims = data.shape;
        if (dims.Length < 1 || dims.Length > MaxDimensions)
            throw new ArgumentException($"{path}: IDX needs 1 to {MaxDimensions} dimensions, the tensor has {dims.Length}", nameof(data));
        if (dims.Any(d => d <= 0 || d > int.MaxValue))
            throw new ArgumentException($"{path}: every IDX dimension must be in [1, {int.MaxValue}], got [{string.Join(", ", dims)}]", nameof(data));

        byte[] bytes;
        using (var cpu = data.cpu().contiguous())
            bytes = cpu.data<byte>().ToArray();

        var header = new byte[4 + 4 * dims.Length];
        header[2] = UnsignedByte;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), (int)dims[i]);

        bool compress = gzip ?? path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        AtomicFile.Write(path, s =>
        {
            if (compress)
            {
                using var z = new GZipStream(s, CompressionLevel.SmallestSize, leaveOpen: true);
                z.Write(header);
                z.Write(bytes);
            }
            else
            {
                s.Write(header);
                s.Write(bytes);
            }
        });
    }
}
