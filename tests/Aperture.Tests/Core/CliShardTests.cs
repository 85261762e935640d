using System.Diagnostics;
using System.Reflection;
using Aperture.Imaging;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

/// <summary>
/// <c>--shard i/N</c> and <c>aperture merge</c> through the real command, each shard a separate process as on a
/// cluster: 4 shards merged equal one process byte for byte; a bad <c>--shard</c>, a missing shard and a shard of
/// another N are each one line on stderr and exit code 2.
/// </summary>
public sealed class CliShardTests
{
    private static readonly string Cli = typeof(CliShardTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ApertureCli").Value!;

    /// <summary>Runs <c>aperture ARGS</c> in <paramref name="folder"/>; returns the exit code and stderr.</summary>
    private static (int Code, string Error) Aperture(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "exec", Cli }.Concat(args)) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        string error = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), $"aperture {string.Join(' ', args)} did not finish");
        _ = output.Result;
        return (p.ExitCode, error.Trim());
    }

    private static void AssertRefused((int Code, string Error) run, string says)
    {
        Assert.Equal(2, run.Code);
        Assert.DoesNotContain("\n", run.Error);
        Assert.StartsWith("aperture: error: ", run.Error);
        Assert.Contains(says, run.Error);
    }

    [Fact]
    public void ProposeAsFourProcessesMergedIsByteForByteOneProcessAndBadShardsAreOneLine()
    {
        Assert.True(File.Exists(Cli), $"{Cli}: the aperture command is built before the tests (project reference)");
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("imgs"));
        using (var _ = NewDisposeScope())
        {
            var g = new Generator().manual_seed(5);
            foreach (string name in new[] { "d.png", "a.png", "c.png", "b.png", "e.png" })
                ImageTensor.Write(Path.Combine(dir.File("imgs"), name), randint(0, 256, [3, 5, 5], generator: g).to_type(ScalarType.Byte).repeat_interleave(8, 1).repeat_interleave(8, 2));
        }
        string[] propose = ["propose", "imgs", "--mode", "single", "--max", "30", "--draw", "2", "--out", "out", "--threads", "1"];

        Assert.Equal(0, Aperture(dir.Path, propose).Code);
        byte[] whole = File.ReadAllBytes(dir.File("out/proposals.json"));
        Directory.Delete(dir.File("out"), recursive: true);
        foreach (int i in new[] { 1, 3, 0, 2 }) Assert.Equal(0, Aperture(dir.Path, [.. propose, "--shard", $"{i}/4"]).Code);
        Assert.False(File.Exists(dir.File("out/proposals.json")));
        Assert.Equal(0, Aperture(dir.Path, "merge", "out").Code);
        Assert.Equal(whole, File.ReadAllBytes(dir.File("out/proposals.json")));

        foreach (var (bad, says) in new[] { ("4/4", "0 to 3"), ("-1/3", "not i/N"), ("1/0", "at least 1"), ("x", "not i/N") })
            AssertRefused(Aperture(dir.Path, [.. propose, $"--shard={bad}"]), $"--shard '{bad}'");
        AssertRefused(Aperture(dir.Path, "propose", "imgs", "--shard", "0/2"), "needs --out");

        File.Delete(dir.File("out/proposals.json"));
        File.Move(dir.File("out/proposals.shard-2-of-4.json"), dir.File("shard2.json"));
        AssertRefused(Aperture(dir.Path, "merge", "out"), "shard 2 of 4 is missing");
        File.Move(dir.File("shard2.json"), dir.File("out/proposals.shard-2-of-4.json"));
        Assert.Equal(0, Aperture(dir.Path, [.. propose, "--shard", "1/3"]).Code);
        AssertRefused(Aperture(dir.Path, "merge", "out"), "out/proposals.shard-1-of-3.json: a shard of 3");
        Assert.False(File.Exists(dir.File("out/proposals.json")), "a refused merge writes nothing");
    }
}
