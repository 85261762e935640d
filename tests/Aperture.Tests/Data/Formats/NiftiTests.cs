using System.Buffers.Binary;
using System.IO.Compression;
using Aperture.Data.Formats;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Data.Formats;

public class NiftiTests
{
    /// <summary>A voxel-to-world affine with a rotation about z by 30°, a flip of k, anisotropic spacing and a translation.</summary>
    private static double[,] Oblique()
    {
        double c = Math.Cos(Math.PI / 6), s = Math.Sin(Math.PI / 6);
        return new double[,] { { 0.9 * c, -1.1 * s, 0, -12.5 }, { 0.9 * s, 1.1 * c, 0, 30 }, { 0, 0, -2.5, 7.25 }, { 0, 0, 0, 1 } };
    }

    private static void AssertAffine(double[,] expected, double[,] actual, double tol = 1e-5)
    {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(expected[r, c] - actual[r, c]) <= tol, $"affine[{r},{c}]: expected {expected[r, c]}, got {actual[r, c]}");
    }

    public static TheoryData<string, bool> Types() => new()
    {
        { "uint8", false }, { "int8", false }, { "int16", true }, { "int32", false }, { "float32", true }, { "float64", false }, { "float64", true },
    };

    private static Tensor Random(string type, long[] shape) => type switch
    {
        "uint8" => randint(0, 256, shape, ScalarType.Byte),
        "int8" => randint(-128, 128, shape, ScalarType.Int8),
        "int16" => randint(-32768, 32768, shape, ScalarType.Int16),
        "int32" => randint(-2_000_000_000, 2_000_000_000, shape, ScalarType.Int32),
        "float32" => randn(shape, ScalarType.Float32).mul(1000),
        _ => randn(shape, ScalarType.Float64).mul(1e6),
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void RoundTripKeepsDataTypeAndAffine(string type, bool gzip)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        Aperture.Core.Torch.Seed(7);
        var data = Random(type, [5, 6, 7]);
        string path = dir.File(gzip ? "v.nii.gz" : "v.nii");
        NiftiFile.Write(path, data, Oblique());
        if (gzip) Assert.Equal(0x1f, File.ReadAllBytes(path)[0]);
        using var back = NiftiFile.Read(path);
        Assert.Equal(data.dtype, back.Data.dtype);
        Assert.Equal(new long[] { 5, 6, 7 }, back.Data.shape);
        Assert.True(back.Data.eq(data).all().item<bool>());
        AssertAffine(Oblique(), back.Affine);
        Assert.Equal(2, back.Header.SformCode);
        // the qform written beside the sform describes the same affine (rotation, flip as qfac = −1, spacing)
        Assert.Equal(2, back.Header.QformCode);
        Assert.Equal(-1, back.Header.PixDim[0]);
        AssertAffine(Oblique(), back.Header.QformAffine());
        // and writing what was read gives the same file content again
        string again = dir.File("again.nii");
        NiftiFile.Write(again, back.Data, back.Header);
        using var third = NiftiFile.Read(again);
        Assert.True(third.Data.eq(data).all().item<bool>());
        AssertAffine(Oblique(), third.Affine);
    }

    [Fact]
    public void TensorAxesAreKJIOfTheFile()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        // i fastest: the value at (i, j, k) is i + 10 j + 100 k, written in file order
        var bytes = new List<byte>();
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 4; i++)
                    bytes.AddRange(BitConverter.GetBytes((short)(i + 10 * j + 100 * k)));
        string path = dir.File("axes.nii");
        File.WriteAllBytes(path, HandMade(bigEndian: false, datatype: 4, bitpix: 16, dims: [3, 4, 3, 2], data: bytes.ToArray()));
        using var v = NiftiFile.Read(path);
        Assert.Equal(new long[] { 2, 3, 4 }, v.Data.shape);
        Assert.Equal(123, v.Data[1, 2, 3].item<short>());
        Assert.Equal(21, v.Data[0, 2, 1].item<short>());
    }

    /// <summary>
    /// A .nii file written byte by byte from the NIfTI-1 specification (nifti1.h offsets), in either byte order, without
    /// any of the library's code: sizeof_hdr 0, dim 40, datatype 70, bitpix 72, pixdim 76, vox_offset 108, scl_slope 112,
    /// scl_inter 116, qform_code 252, sform_code 254, quatern_b/c/d 256/260/264, qoffset_x/y/z 268/272/276,
    /// srow_x/y/z 280/296/312, magic 344.
    /// </summary>
    private static byte[] HandMade(bool bigEndian, short datatype, short bitpix, short[] dims, byte[] data, float slope = 0, float inter = 0,
        float[]? pixdim = null, short qform = 0, float[]? quatern = null, float[]? qoffset = null, short sform = 0, float[][]? srows = null,
        int sizeofHdr = 348, float voxOffset = 352, string magic = "n+1")
    {
        var b = new byte[352 + data.Length];
        void I32(int o, int v) { if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(o), v); }
        void I16(int o, short v) { if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(o), v); }
        void F32(int o, float v) { if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(b.AsSpan(o), v); else BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(o), v); }
        I32(0, sizeofHdr);
        for (int i = 0; i < dims.Length; i++) I16(40 + 2 * i, dims[i]);
        for (int i = dims.Length; i < 8; i++) I16(40 + 2 * i, 1);
        I16(70, datatype);
        I16(72, bitpix);
        var pix = pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
        for (int i = 0; i < 8; i++) F32(76 + 4 * i, pix[i]);
        F32(108, voxOffset);
        F32(112, slope);
        F32(116, inter);
        I16(252, qform);
        I16(254, sform);
        var q = quatern ?? [0, 0, 0];
        var qo = qoffset ?? [0, 0, 0];
        for (int i = 0; i < 3; i++) { F32(256 + 4 * i, q[i]); F32(268 + 4 * i, qo[i]); }
        var rows = srows ?? [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) F32(280 + 16 * r + 4 * c, rows[r][c]);
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(b, 344);
        data.CopyTo(b, 352);
        return b;
    }

    private static byte[] Int16Bytes(short[] values, bool bigEndian)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(b.AsSpan(2 * i), values[i]);
            else BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BothByteOrdersWithSlopeInterceptAndSform(bool bigEndian)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        short[] raw = [-300, -1, 0, 1, 2, 7, 1000, 32767, -32768, 5, 6, 8];
        float[][] rows = [[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 3, -72]];
        string path = dir.File(bigEndian ? "big.nii" : "little.nii");
        File.WriteAllBytes(path, HandMade(bigEndian, 4, 16, [3, 3, 2, 2], Int16Bytes(raw, bigEndian), slope: 2.5f, inter: -10,
            sform: 4, srows: rows, qform: 1, pixdim: [1, 9, 9, 9, 1, 1, 1, 1]));
        using var v = NiftiFile.Read(path);
        Assert.Equal(bigEndian, v.Header.BigEndian);
        Assert.Equal(ScalarType.Float32, v.Data.dtype);
        var values = v.Data.flatten().data<float>().ToArray();
        for (int i = 0; i < raw.Length; i++) Assert.Equal(raw[i] * 2.5f - 10, values[i], 1e-3);
        // the sform (code 4 > 0) wins over the qform
        AssertAffine(new double[,] { { -2, 0, 0, 90 }, { 0, 2, 0, -126 }, { 0, 0, 3, -72 }, { 0, 0, 0, 1 } }, v.Affine);
        // the header describes the returned tensor: scaling applied, so none is left to apply
        Assert.Equal(0, v.Header.SclSlope);
    }

    [Fact]
    public void SlopeZeroMeansNoScalingAndKeepsTheType()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        string path = dir.File("s0.nii");
        File.WriteAllBytes(path, HandMade(false, 4, 16, [3, 2, 1, 1], Int16Bytes([3, -4], false), slope: 0, inter: 100));
        using var v = NiftiFile.Read(path);
        Assert.Equal(ScalarType.Int16, v.Data.dtype);
        Assert.Equal(new short[] { 3, -4 }, v.Data.flatten().data<short>().ToArray());
        // scaling written by the writer is applied by the reader
        string scaled = dir.File("scaled.nii.gz");
        NiftiFile.Write(scaled, tensor(new short[] { 1, 2, 3, 4 }, new long[] { 1, 2, 2 }), NiftiHeader.ForVolume(1, 2, 2, NiftiDataType.Int16) with { SclSlope = 0.5f, SclInter = 1 });
        using var s = NiftiFile.Read(scaled);
        Assert.Equal(new float[] { 1.5f, 2, 2.5f, 3 }, s.Data.flatten().data<float>().ToArray());
    }

    [Fact]
    public void QformOnlyAffineFromTheQuaternion()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        // 90° about z: (b, c, d) = (0, 0, sin 45°); qfac −1 flips k; spacing 2, 3, 4
        float h = (float)Math.Sqrt(0.5);
        string path = dir.File("q.nii");
        File.WriteAllBytes(path, HandMade(true, 2, 8, [3, 2, 2, 2], new byte[8], qform: 1, quatern: [0, 0, h], qoffset: [10, 20, 30],
            pixdim: [-1, 2, 3, 4, 1, 1, 1, 1]));
        using var v = NiftiFile.Read(path);
        AssertAffine(new double[,] { { 0, -3, 0, 10 }, { 2, 0, 0, 20 }, { 0, 0, -4, 30 }, { 0, 0, 0, 1 } }, v.Affine);
        // neither form: the spacing alone
        string plain = dir.File("plain.nii");
        File.WriteAllBytes(plain, HandMade(false, 2, 8, [3, 2, 2, 2], new byte[8], pixdim: [1, 2, 3, 4, 1, 1, 1, 1]));
        AssertAffine(new double[,] { { 2, 0, 0, 0 }, { 0, 3, 0, 0 }, { 0, 0, 4, 0 }, { 0, 0, 0, 1 } }, NiftiFile.Read(plain).Affine);
    }

    [Fact]
    public void AQuaternionNearAHalfTurnRoundTrips()
    {
        // rotation by ~180° about (1, 1, 0)/√2: the quaternion's a is ~0, the branch a trace-based formula gets wrong
        var r = new double[,] { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, -1, 0 }, { 0, 0, 0, 1 } };
        var header = NiftiHeader.ForVolume(2, 2, 2, NiftiDataType.UInt8, r);
        Assert.Equal(2, header.QformCode);
        AssertAffine(r, header.QformAffine());
    }

    public static TheoryData<string, string> Malformed() => new()
    {
        { "short", "header alone is 348" },
        { "sizeof", "sizeof_hdr" },
        { "datatype", "datatype 128 is not supported" },
        { "bitpix", "bitpix" },
        { "dim0", "dim[0]" },
        { "dimzero", "dim[2] = 0" },
        { "dimnegative", "dim[3] = -5" },
        { "fourd", "only 2-D and 3-D" },
        { "shortdata", "shorter than the dims say" },
        { "huge", "shorter than the dims say" },
        { "hugegz", "shorter than the dims say" },
        { "absurd", "more than the" },
        { "voxoffset", "vox_offset" },
        { "magic", "magic" },
        { "pair", ".hdr/.img" },
        { "corruptgz", "gzip" },
        { "truncatedgz", "shorter than the dims say" },
        { "cutgz", "shorter than the dims say" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFilesGiveOneClearError(string kind, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File(kind + (kind.EndsWith("gz") ? ".nii.gz" : ".nii"));
        byte[] good = HandMade(false, 16, 32, [3, 4, 4, 4], new byte[256]);
        byte[] file = kind switch
        {
            "short" => good[..100],
            "sizeof" => HandMade(false, 16, 32, [3, 4, 4, 4], new byte[256], sizeofHdr: 540),
            "datatype" => HandMade(false, 128, 24, [3, 4, 4, 4], new byte[192]),
            "bitpix" => HandMade(false, 16, 16, [3, 4, 4, 4], new byte[256]),
            "dim0" => HandMade(false, 16, 32, [9, 4, 4, 4], new byte[256]),
            "dimzero" => HandMade(false, 16, 32, [3, 4, 0, 4], new byte[256]),
            "dimnegative" => HandMade(false, 16, 32, [3, 4, 4, -5], new byte[256]),
            "fourd" => HandMade(false, 16, 32, [4, 4, 4, 4, 5], new byte[256 * 5]),
            "shortdata" => good[..^4],
            "huge" => HandMade(false, 2, 8, [3, 1000, 1000, 500], new byte[16]),
            "hugegz" => Gzip(HandMade(false, 2, 8, [3, 1000, 1000, 500], new byte[16])),
            "absurd" => HandMade(false, 64, 64, [3, 32767, 32767, 32767], new byte[16]),
            "voxoffset" => HandMade(false, 16, 32, [3, 4, 4, 4], new byte[256], voxOffset: 100.5f),
            "magic" => HandMade(false, 16, 32, [3, 4, 4, 4], new byte[256], magic: "abc"),
            "pair" => HandMade(false, 16, 32, [3, 4, 4, 4], new byte[256], magic: "ni1"),
            "corruptgz" => Corrupt(Gzip(good)),
            "truncatedgz" => Gzip(good[..400]),
            "cutgz" => Gzip(HandMade(false, 16, 32, [3, 4, 4, 4], Noise(256)))[..^40],
            _ => throw new ArgumentException(kind),
        };
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => NiftiFile.Read(path));
        Assert.True(e.Message.Contains(path) && e.Message.Contains(expected), e.Message);
        Assert.Contains(expected, e.Message);
    }

    private static byte[] Noise(int n)
    {
        var b = new byte[n];
        new Random(1).NextBytes(b);
        return b;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(bytes);
        return ms.ToArray();
    }

    private static byte[] Corrupt(byte[] gz)
    {
        var c = (byte[])gz.Clone();
        for (int i = 12; i < c.Length - 8; i += 3) c[i] ^= 0x5a;
        return c;
    }
}
