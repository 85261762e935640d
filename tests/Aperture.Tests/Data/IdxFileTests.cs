using System.IO.Compression;
using Aperture.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class IdxFileTests
{
    private static byte[] Header(byte type, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        h[2] = type;
        h[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    [Theory]
    [InlineData("t.idx", false)]
    [InlineData("t.idx.gz", true)]
    [InlineData("t.idx", true)] // gzip recognised by its magic bytes, not by the name
    public void WriteThenReadGivesTheSameTensor(string name, bool gzip)
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var x = randint(0, 256, new long[] { 5, 7, 3 }, dtype: ScalarType.Byte);
        string path = dir.File(name);
        IdxFile.Write(path, x, gzip);
        byte[] raw = File.ReadAllBytes(path);
        Assert.Equal(gzip, raw[0] == 0x1f && raw[1] == 0x8b);
        var y = IdxFile.Read(path);
        Assert.Equal(ScalarType.Byte, y.dtype);
        Assert.Equal(new long[] { 5, 7, 3 }, y.shape);
        Assert.True(x.eq(y).all().item<bool>());
    }

    [Fact]
    public void RawBytesFollowTheFormat()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string path = dir.File("l.idx");
        IdxFile.Write(path, tensor(new byte[] { 3, 1, 4, 1, 5, 9 }, new long[] { 2, 3 }));
        Assert.Equal(Concat(Header(0x08, 2, 3), new byte[] { 3, 1, 4, 1, 5, 9 }), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsAHandWrittenGzipFile()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        string path = dir.File("labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, Gzip(Concat(Header(0x08, 4), new byte[] { 9, 0, 7, 2 })));
        var y = IdxFile.Read(path);
        Assert.Equal(new long[] { 4 }, y.shape);
        Assert.Equal(new byte[] { 9, 0, 7, 2 }, y.data<byte>().ToArray());
    }

    private static InvalidDataException ReadFails(byte[] content, bool gzip, string name = "bad.idx")
    {
        using var dir = new TempDir();
        string path = dir.File(name);
        File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        var e = Assert.Throws<InvalidDataException>(() => { using var t = IdxFile.Read(path); });
        Assert.StartsWith(path, e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CorruptMagicIsReported(bool gzip)
    {
        var e = ReadFails(Concat(new byte[] { 0x01, 0x00, 0x08, 0x01 }, new byte[4], new byte[4]), gzip);
        Assert.Contains("magic", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataIsReportedWithExpectedAndActualLengths(bool gzip)
    {
        var e = ReadFails(Concat(Header(0x08, 3, 4, 5), new byte[59]), gzip);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("60", e.Message);
        Assert.Contains("59", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        var e = ReadFails(Concat(Header(0x08, 3, 4, 5))[..9], gzip: false);
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void ShortFileIsReported()
    {
        var e = ReadFails(new byte[] { 0, 0 }, gzip: false);
        Assert.Contains("2 bytes", e.Message);
    }

    [Theory]
    [InlineData((byte)0x0B, "0x0B")]
    [InlineData((byte)0x0D, "0x0D")]
    [InlineData((byte)0x42, "0x42")]
    public void UnsupportedTypeIsReported(byte type, string shown)
    {
        var e = ReadFails(Concat(Header(type, 2), new byte[4]), gzip: false);
        Assert.Contains("unsupported", e.Message);
        Assert.Contains(shown, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingBytesAreReported(bool gzip)
    {
        var e = ReadFails(Concat(Header(0x08, 2, 2), new byte[4], new byte[] { 1, 2, 3 }), gzip);
        Assert.Contains("3 unexpected bytes", e.Message);
    }

    [Fact]
    public void ZeroDimensionIsReported()
    {
        var e = ReadFails(Header(0x08, 3, 0), gzip: false);
        Assert.Contains("dimension 1", e.Message);
    }

    [Fact]
    public void ZeroDimensionCountIsReported()
    {
        var e = ReadFails(Header(0x08), gzip: false);
        Assert.Contains("0 dimensions", e.Message);
    }

    [Fact]
    public void CorruptGzipIsReported()
    {
        var bytes = Gzip(Concat(Header(0x08, 100), new byte[100]));
        bytes = bytes[..(bytes.Length / 2)];
        var e = ReadFails(bytes, gzip: false);
        Assert.True(e.Message.Contains("gzip") || e.Message.Contains("truncated"), e.Message);
    }

    [Fact]
    public void WriteRejectsNonByteTensors()
    {
        using var dir = new TempDir();
        using var t = zeros(2, 2);
        Assert.Throws<ArgumentException>(() => IdxFile.Write(dir.File("f.idx"), t));
    }

    [FashionMnistFact]
    public void ReadsTheOfficialFashionMnistTestImages()
    {
        using var scope = NewDisposeScope();
        var x = IdxFile.Read(DatasetLocator.FindPair(FashionMnistFactAttribute.Folder, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")!.Value.Images);
        Assert.Equal(new long[] { 10000, 28, 28 }, x.shape);
        Assert.Equal(ScalarType.Byte, x.dtype);
        Assert.True(x.max().item<byte>() == 255);
    }
}
