using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Aperture.Web.Tests;

/// <summary>The server's limits and guards over plain HTTP (no browser needed).</summary>
[Collection("serve")]
public sealed class ServerTests(ServeFixture serve)
{
    private static readonly HttpClient Http = new();

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string query, byte[] body, string type = "application/octet-stream")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        using var response = await Http.PostAsync(serve.Url + "api/analyze?" + query, content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>A valid PNG header (signature, IHDR) claiming <paramref name="width"/> x <paramref name="height"/>, with a tiny IDAT.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var s = new MemoryStream();
        s.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        void Chunk(string type, byte[] data)
        {
            byte[] t = System.Text.Encoding.ASCII.GetBytes(type);
            s.Write(BigEndian(data.Length));
            s.Write(t);
            s.Write(data);
            s.Write(BigEndian((int)Crc32([.. t, .. data])));
        }
        Chunk("IHDR", [.. BigEndian(width), .. BigEndian(height), 8, 2, 0, 0, 0]);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(new byte[64]);
        Chunk("IDAT", z.ToArray());
        Chunk("IEND", []);
        return s.ToArray();
    }

    /// <summary>PNG's chunk checksum (CRC-32, polynomial 0xEDB88320), bit by bit.</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    private static byte[] BigEndian(int v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];

    [Fact]
    public async Task TheRunsFolderIsListedWithWhatEachRunCanShow()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(serve.Url + "api/runs"));
        var run = Assert.Single(doc.RootElement.GetProperty("runs").EnumerateArray());
        Assert.Equal((serve.ClassifierId, "classifier", "vgg-gap"), (run.GetProperty("id").GetString(), run.GetProperty("family").GetString(), run.GetProperty("method").GetString()));
        Assert.Equal(["predict", "cam", "gradcam"], run.GetProperty("analyses").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(4, doc.RootElement.GetProperty("examples").GetArrayLength());
    }

    [Fact]
    public async Task AnUploadOverTheByteLimitIsRefusedWithItsSize()
    {
        var (status, body) = await Post("analysis=propose&name=big.png", new byte[ServeFixture.MaxUploadBytes + 10]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("big.png: the upload is larger than the limit of 3 MB (--max-upload-mb)", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnImageOverThePixelLimitIsRefusedFromItsHeaderBeforeDecoding()
    {
        // 30,000 x 30,000 RGB would need 2.7 GB decoded; the header alone is refused.
        var (status, body) = await Post("analysis=propose&name=huge.png", PngHeader(30_000, 30_000), "image/png");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("huge.png: the image is 30000x30000 = 900,000,000 pixels, more than the limit of 4,000,000 (--max-megapixels)", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task BadRequestsGetOneClearLine()
    {
        var (status, body) = await Post($"analysis=detect&run={serve.ClassifierId}&example=scene-1.png", []);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("runs/vgg-gap is a classifier (vgg-gap); it can show predict, cam, gradcam, not detect", body.GetProperty("error").GetString());
        (status, body) = await Post("analysis=cam&example=scene-1.png", []);
        Assert.Equal("cam needs a trained run; choose one", body.GetProperty("error").GetString());
        (status, body) = await Post("analysis=cam&run=runs/gone&example=scene-1.png", []);
        Assert.StartsWith("no trained run 'runs/gone' under ", body.GetProperty("error").GetString());
        (status, body) = await Post("analysis=paint&example=scene-1.png", []);
        Assert.Equal("unknown analysis 'paint'; one of: propose, predict, cam, gradcam, detect, segment", body.GetProperty("error").GetString());
        (status, body) = await Post("analysis=propose&name=empty.png", []);
        Assert.Equal("empty.png: the upload is empty; choose an image file (PNG or JPEG)", body.GetProperty("error").GetString());
        // A simple form post (what another web site could make a browser send) is refused.
        (status, _) = await Post("analysis=propose&example=scene-1.png", [], "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task OnlyFilesOfTheWorkingFolderAreServedAndNothingIsWrittenOutsideIt()
    {
        var before = Directory.GetFiles(serve.Folder, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(serve.Server.WorkingFolder)).ToHashSet();
        var (status, body) = await Post("analysis=propose&example=scene-2.png&count=5", []);
        Assert.Equal(HttpStatusCode.OK, status);
        string picture = body.GetProperty("picture").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(serve.Url + picture)).StatusCode);
        string id = body.GetProperty("id").GetString()!;
        foreach (string probe in new[] { $"api/results/{id}/..%2F..%2Fexamples%2Fscene-1.png", $"api/results/{id}/.hidden", "api/results/not-an-id/image.png", "examples/..%2F..%2Fetc%2Fpasswd" })
            Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(serve.Url + probe)).StatusCode);
        var after = Directory.GetFiles(serve.Folder, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(serve.Server.WorkingFolder)).ToHashSet();
        Assert.Equal(before.Order(), after.Order());
        Assert.StartsWith(Path.GetFullPath(serve.Out), serve.Server.WorkingFolder);
    }
}
