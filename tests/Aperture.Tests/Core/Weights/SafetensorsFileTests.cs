using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Aperture.Core.Weights;
using Aperture.Tests.Data;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Aperture.Tests.Core.Weights;

/// <summary>
/// The safetensors reader and writer, including the cases TorchSharp.PyBridge was reported to get wrong: names outside
/// ASCII (header length in bytes), tensors past 2 GB, and its save-to-path overload.
/// </summary>
public class SafetensorsFileTests
{
    private static byte[] Header(string json)
    {
        byte[] h = Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    private static void WriteRaw(string path, string json, byte[] data)
    {
        using var f = File.Create(path);
        f.Write(Header(json));
        f.Write(data);
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void RoundTripsDtypesShapesAndNonContiguousTensors()
    {
        using var dir = new TempDir();
        var t = new Dictionary<string, Tensor>
        {
            ["w"] = arange(12, dtype: float32).reshape(3, 4).t(), // non-contiguous: PyBridge alone throws on it
            ["d"] = tensor(new[] { 1.5, -2.0 }),
            ["i"] = tensor(new long[] { 1, long.MaxValue }),
            ["b"] = tensor(new[] { true, false }),
            ["s"] = tensor(3.25f),
            ["e"] = zeros(0, 5),
        };
        SafetensorsFile.Write(dir.File("x.safetensors"), t);
        var back = SafetensorsFile.Read(dir.File("x.safetensors"));
        Assert.Equal(t.Keys.Order(), back.Keys.Order());
        foreach (var (k, v) in t)
        {
            Assert.Equal(v.dtype, back[k].dtype);
            Assert.Equal(v.shape, back[k].shape);
            Assert.True(v.equal(back[k]).all().item<bool>(), k);
        }
    }

    [Fact]
    public void NonAsciiNamesGiveAHeaderLengthInBytesThatStrictReadersAccept()
    {
        using var dir = new TempDir();
        string name = "café.权重.🙂";
        SafetensorsFile.Write(dir.File("u.safetensors"), new Dictionary<string, Tensor> { [name] = ones(2, 3) });
        byte[] file = File.ReadAllBytes(dir.File("u.safetensors"));
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        // The header must end exactly where the data begins: 8 + n + 24 data bytes is the whole file.
        Assert.Equal(file.Length, 8 + (long)n + 24);
        using var doc = JsonDocument.Parse(file.AsMemory(8, (int)n));
        Assert.Equal(name, doc.RootElement.EnumerateObject().Single().Name);
        Assert.True(ones(2, 3).equal(SafetensorsFile.Read(dir.File("u.safetensors"))[name]).all().item<bool>());
    }

    [Fact]
    public void ReadsRawUtf8NamesAsPythonWritesThem()
    {
        using var dir = new TempDir();
        // serde_json and json.dumps(ensure_ascii=False) write names unescaped: the length counts UTF-8 bytes, not characters.
        WriteRaw(dir.File("r.safetensors"), """{"ünïcødé.权重":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"tail":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""",
            Floats(1, 2, 3));
        var back = SafetensorsFile.Read(dir.File("r.safetensors"));
        Assert.Equal(new[] { 1f, 2f }, back["ünïcødé.权重"].data<float>().ToArray());
        Assert.Equal(3f, back["tail"].item<float>());
    }

    [Fact]
    public void OverwritingALongerFileLeavesNoStaleBytes()
    {
        using var dir = new TempDir();
        string path = dir.File("o.safetensors");
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["big"] = ones(1000) });
        SafetensorsFile.Write(path, new Dictionary<string, Tensor> { ["x"] = ones(1) });
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(file.Length, 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file) + 4);
    }

    [Fact]
    public void EvidencePyBridgesPathOverloadDoesNotTruncate()
    {
        // Why SafetensorsFile writes through its own stream: PyBridge 1.4.4's SaveStateDict(string, ...) opens the file with
        // File.OpenWrite, so a shorter state written over a longer file keeps the old tail, which strict readers reject.
        using var dir = new TempDir();
        string path = dir.File("p.safetensors");
        Safetensors.SaveStateDict(path, new Dictionary<string, Tensor> { ["big"] = ones(1000) });
        Safetensors.SaveStateDict(path, new Dictionary<string, Tensor> { ["x"] = ones(1) });
        byte[] file = File.ReadAllBytes(path);
        long needed = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file) + 4;
        Assert.True(file.Length > needed, $"PyBridge now truncates ({file.Length} bytes): SafetensorsFile.Write's own stream is no longer needed for this");
    }

    [Fact]
    public void EvidencePyBridgeTrustsTheHeader()
    {
        // Why SafetensorsFile checks the header first: PyBridge 1.4.4 loads overlapping tensors without a word, and a
        // truncated file gives an EndOfStreamException that names no file (a header declaring a huge shape makes it ask
        // libtorch for that much memory; not run here).
        using var dir = new TempDir();
        string overlap = dir.File("overlap.safetensors");
        WriteRaw(overlap, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.Equal(2, Safetensors.LoadStateDict(overlap).Count);
        string truncated = dir.File("truncated.safetensors");
        WriteRaw(truncated, """{"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""", new byte[8]);
        Assert.Throws<EndOfStreamException>(() => Safetensors.LoadStateDict(truncated));
    }

    [Fact]
    public void ReadsATensorPastTwoGigabytesWithoutLoadingTheOnesBefore()
    {
        // A sparse file: a 2 GiB + 16 byte U8 tensor (never written, so it takes no disk) then a small one whose offsets
        // are past int.MaxValue. The header checks and the seek use 64-bit offsets.
        using var dir = new TempDir();
        string path = dir.File("big.safetensors");
        long big = (1L << 31) + 16;
        using (var f = File.Create(path))
        {
            f.Write(Header("{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"small\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + big + "," + (big + 16) + "]}}"));
            f.Seek(big, SeekOrigin.Current);
            f.Write(Floats(1, 2, 3, 4));
        }
        var entries = SafetensorsFile.ReadHeader(path);
        Assert.Equal(big, entries.Single(e => e.Name == "big").End);
        var small = SafetensorsFile.Read(path, ["small"])["small"];
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, small.data<float>().ToArray());
    }

    [LargeFact]
    public void WritesAndReadsATensorOverTwoGigabytes()
    {
        using var dir = new TempDir();
        long n = (1L << 31) + 16;
        var t = zeros(n, dtype: uint8);
        t[0] = 3; t[n - 1] = 7;
        SafetensorsFile.Write(dir.File("huge.safetensors"), new Dictionary<string, Tensor> { ["huge"] = t, ["after"] = tensor(new[] { 5f, 6f }) });
        t.Dispose();
        var back = SafetensorsFile.Read(dir.File("huge.safetensors"));
        Assert.Equal(n, back["huge"].shape[0]);
        Assert.Equal(3, back["huge"][0].item<byte>());
        Assert.Equal(7, back["huge"][n - 1].item<byte>());
        Assert.Equal(new[] { 5f, 6f }, back["after"].data<float>().ToArray());
    }

    [Theory]
    [InlineData("truncated", """{"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""", 8, "outside the 8 data bytes")]
    [InlineData("huge shape", """{"w":{"dtype":"F32","shape":[1000000000000,1000000],"data_offsets":[0,8]}}""", 8, "more elements than the file")]
    [InlineData("size mismatch", """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes")]
    [InlineData("unknown dtype", """{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8, "dtype 'C64'")]
    [InlineData("overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "overlap")]
    [InlineData("not json", """{"w": nope}""", 8, "not valid safetensors JSON")]
    public void DamagedFilesGetOneLineNamingTheFile(string what, string json, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File($"{what.Replace(' ', '-')}.safetensors");
        WriteRaw(path, json, new byte[dataBytes]);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path));
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AHeaderLengthPastTheEndIsRefusedBeforeReading()
    {
        using var dir = new TempDir();
        string path = dir.File("len.safetensors");
        var b = Header("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue);
        File.WriteAllBytes(path, b);
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(path));
        Assert.Contains("len.safetensors", e.Message);
    }
}
