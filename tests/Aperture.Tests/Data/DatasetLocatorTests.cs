using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aperture.Data;
using Aperture.Data.Sample;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class DatasetLocatorTests
{
    private static DatasetLocator Offline(string cacheRoot, string? envRoot = null) =>
        new() { EnvironmentRoot = envRoot, SystemRoot = null, CacheRoot = cacheRoot, AllowDownload = false };

    /// <summary>Writes a small valid Fashion-MNIST-like split (the shipped sample's test split) into <paramref name="dir"/>.</summary>
    private static void WriteTestSplit(string dir, int? labelCount = null, byte? badLabel = null)
    {
        using var sample = FashionMnist.LoadSample(DatasetSplit.Test);
        using var scope = NewDisposeScope();
        IdxFile.Write(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"), sample.Images.squeeze(1));
        var labels = sample.Labels.to(ScalarType.Byte);
        if (labelCount is { } n) labels = labels[..n];
        if (badLabel is { } b) labels = labels.clone().index_fill_(0, tensor(new long[] { 5 }), b);
        IdxFile.Write(Path.Combine(dir, "t10k-labels-idx1-ubyte"), labels); // uncompressed: both spellings are found
    }

    [Fact]
    public void ExplicitDirectoryThatDoesNotExistIsAnError()
    {
        using var tmp = new TempDir();
        string missing = tmp.File("no-such-dir");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Offline(tmp.Path).Load(FashionMnist.Spec, DatasetSplit.Train, missing));
        Assert.StartsWith(missing, e.Message);
    }

    [Fact]
    public void ExplicitDirectoryWithoutTheFilesIsAnErrorNotAFallback()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Offline(tmp.File("cache")).Load(FashionMnist.Spec, DatasetSplit.Test, tmp.Path));
        Assert.StartsWith(tmp.Path, e.Message);
        Assert.Contains("t10k-images-idx3-ubyte", e.Message);
        Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(DatasetSplit.Test, tmp.Path));
    }

    [Fact]
    public void ExplicitDirectoryOrItsDatasetSubfolderIsUsed()
    {
        using var tmp = new TempDir();
        string sub = Path.Combine(tmp.Path, "fashion-mnist");
        Directory.CreateDirectory(sub);
        WriteTestSplit(sub);
        using var viaRoot = Offline(tmp.File("cache")).Load(FashionMnist.Spec, DatasetSplit.Test, tmp.Path);
        using var direct = Offline(tmp.File("cache")).Load(FashionMnist.Spec, DatasetSplit.Test, sub);
        Assert.Equal(1000, viaRoot.Count);
        Assert.Contains(sub, viaRoot.Source);
        Assert.Contains("--data", direct.Source);
        // Only the test split is there: asking for train is an error.
        Assert.Throws<FileNotFoundException>(() => Offline(tmp.File("cache")).Load(FashionMnist.Spec, DatasetSplit.Train, sub));
    }

    [Fact]
    public void EnvironmentFolderIsSearchedBeforeTheCache()
    {
        using var env = new TempDir();
        using var cache = new TempDir();
        WriteTestSplit(Path.Combine(cache.Path, "fashion-mnist"));
        using (var fromCache = Offline(cache.Path, env.Path).Load(FashionMnist.Spec, DatasetSplit.Test, null))
            Assert.Contains("(cache)", fromCache.Source);
        WriteTestSplit(env.Path);
        using var fromEnv = Offline(cache.Path, env.Path).Load(FashionMnist.Spec, DatasetSplit.Test, null);
        Assert.Contains(DatasetLocator.DataVariable, fromEnv.Source);
    }

    [Fact]
    public void NothingFoundFallsBackToTheShippedSampleAndSaysWhy()
    {
        using var tmp = new TempDir();
        using var data = Offline(tmp.Path).Load(FashionMnist.Spec, DatasetSplit.Train, null);
        Assert.Equal(6000, data.Count);
        Assert.StartsWith("repository sample", data.Source);
        Assert.Contains("downloads are off", data.Source);
    }

    [Fact]
    public void MnistHasNoSampleSoNothingFoundIsAnError()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Offline(tmp.Path).Load(Mnist.Spec, DatasetSplit.Test, null));
        Assert.Contains("MNIST was not found", e.Message);
    }

    [Fact]
    public void MismatchedImageAndLabelCountsAreReported()
    {
        using var tmp = new TempDir();
        WriteTestSplit(tmp.Path, labelCount: 999);
        var e = Assert.Throws<InvalidDataException>(() => Offline(tmp.File("c")).Load(FashionMnist.Spec, DatasetSplit.Test, tmp.Path));
        Assert.StartsWith(Path.Combine(tmp.Path, "t10k-labels-idx1-ubyte"), e.Message);
        Assert.Contains("999", e.Message);
        Assert.Contains("1000", e.Message);
    }

    [Fact]
    public void OutOfRangeLabelIsReported()
    {
        using var tmp = new TempDir();
        WriteTestSplit(tmp.Path, badLabel: 10);
        var e = Assert.Throws<InvalidDataException>(() => Offline(tmp.File("c")).Load(FashionMnist.Spec, DatasetSplit.Test, tmp.Path));
        Assert.Contains("label 10", e.Message);
    }

    [Fact]
    public void UnreachableMirrorFailsFastAndFallsThrough()
    {
        using var tmp = new TempDir();
        // A listener that accepts connections but never answers: the worst case for a hanging download.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            int port = ((IPEndPoint)silent.LocalEndpoint).Port;
            var locator = new DatasetLocator { CacheRoot = tmp.Path, MirrorOverride = $"http://127.0.0.1:{port}/", ConnectTimeout = TimeSpan.FromSeconds(1) };
            var clock = Stopwatch.StartNew();
            using var data = locator.Load(FashionMnist.Spec, DatasetSplit.Test, null);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.StartsWith("repository sample", data.Source);
            Assert.Contains("download", data.Source);
            Assert.Empty(Directory.EnumerateFiles(tmp.Path, "*", SearchOption.AllDirectories));
        }
        finally { silent.Stop(); }
    }

    /// <summary>Serves the files of a folder over HTTP on the loopback interface.</summary>
    private sealed class FolderServer : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly Task loop;
        public string Url { get; }

        public FolderServer(string folder)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/";
            listener.Prefixes.Add(Url);
            listener.Start();
            loop = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    HttpListenerContext ctx;
                    try { ctx = await listener.GetContextAsync(); } catch (Exception) { return; }
                    string file = Path.Combine(folder, Path.GetFileName(ctx.Request.Url!.AbsolutePath));
                    if (File.Exists(file))
                    {
                        byte[] bytes = File.ReadAllBytes(file);
                        ctx.Response.ContentLength64 = bytes.Length;
                        await ctx.Response.OutputStream.WriteAsync(bytes);
                    }
                    else ctx.Response.StatusCode = 404;
                    ctx.Response.Close();
                }
            });
        }

        public void Dispose()
        {
            listener.Stop();
            listener.Close();
            try { loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        }
    }

    [FashionMnistFact]
    public void DownloadIsVerifiedAndCached()
    {
        using var cache = new TempDir();
        using var served = new TempDir();
        // Served as the mirror publishes them (gzipped, official names), whatever spelling the local copy uses.
        foreach (string name in new[] { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            string local = DatasetLocator.FindPair(FashionMnistFactAttribute.Folder, name, name)!.Value.Images;
            using var source = File.OpenRead(local);
            using var target = File.Create(served.File(name + ".gz"));
            if (source.ReadByte() == 0x1f) { source.Position = 0; source.CopyTo(target); }
            else { source.Position = 0; using var gz = new System.IO.Compression.GZipStream(target, System.IO.Compression.CompressionLevel.Fastest); source.CopyTo(gz); }
        }
        using var server = new FolderServer(served.Path);
        var locator = new DatasetLocator { CacheRoot = cache.Path, MirrorOverride = server.Url, ConnectTimeout = TimeSpan.FromSeconds(60) };
        using (var data = locator.Load(FashionMnist.Spec, DatasetSplit.Test, null))
        {
            Assert.Equal(10000, data.Count);
            Assert.Contains("downloaded", data.Source);
        }
        Assert.True(File.Exists(Path.Combine(cache.Path, "fashion-mnist", "t10k-images-idx3-ubyte.gz")));
        // Second time: from the cache, no server needed.
        using var again = Offline(cache.Path).Load(FashionMnist.Spec, DatasetSplit.Test, null);
        Assert.Contains("(cache)", again.Source);
    }

    [Fact]
    public void DownloadWithTheWrongContentIsRejectedAndNotCached()
    {
        using var cache = new TempDir();
        using var served = new TempDir();
        ShippedSample.Generate(SampleSource(), served.Path, 10, 1, 1); // valid IDX, but not the official files
        using var server = new FolderServer(served.Path);
        var locator = new DatasetLocator { CacheRoot = cache.Path, MirrorOverride = server.Url, ConnectTimeout = TimeSpan.FromSeconds(60) };
        using var data = locator.Load(FashionMnist.Spec, DatasetSplit.Test, null);
        Assert.StartsWith("repository sample", data.Source);
        Assert.Contains("SHA-256", data.Source);
        Assert.False(Directory.Exists(Path.Combine(cache.Path, "fashion-mnist")) && Directory.EnumerateFiles(Path.Combine(cache.Path, "fashion-mnist")).Any());
    }

    private static string SampleSource([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../../src/Aperture/Data/Sample/fashion-mnist"));
}
