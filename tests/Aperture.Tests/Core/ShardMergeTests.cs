using Aperture.Core;
using Aperture.Tests.Data;

namespace Aperture.Tests.Core;

/// <summary>
/// <see cref="ShardMerge"/>'s checks: all N shards, once each, of one batch (same N, verb, options, inputs), each
/// holding exactly its own inputs; else one line naming the file, exit code 2, and nothing written.
/// </summary>
public sealed class ShardMergeTests
{
    /// <summary>A stand-in result with a timing field.</summary>
    private sealed record Fake(string Image, int Length, double Ms);

    private static readonly string[] Inputs = Enumerable.Range(0, 10).Select(i => $"img/{i:D2}.png").ToArray();

    private static Dictionary<string, string?> Options(string mode = "fast") => new() { ["--mode"] = $"\"{mode}\"", ["--max"] = "100" };

    private static string Run(string folder, Shard shard, IReadOnlyList<string>? inputs = null, Dictionary<string, string?>? options = null, string verb = "propose")
    {
        var batch = new BatchResults(verb, "proposals", inputs ?? Inputs, shard, options ?? Options(), "ms");
        foreach (string image in batch.Images) batch.Add(new Fake(image, image.Length, Random.Shared.NextDouble()));
        return batch.Write(folder);
    }

    private static void RunAll(string folder, int n)
    {
        for (int i = 0; i < n; i++) Run(folder, new Shard(i, n));
    }

    private static string Refused(string folder, params string[] more)
    {
        var e = Assert.Throws<InvalidDataException>(() => ShardMerge.Merge([folder, .. more], folder));
        Assert.Equal(ErrorBoundary.BadInput, ErrorBoundary.ExitCodeFor(e));
        string line = ErrorBoundary.Describe(e);
        Assert.DoesNotContain("\n", line);
        Assert.False(File.Exists(Path.Combine(folder, "proposals.json")), "a refused merge writes nothing");
        return line;
    }

    [Fact]
    public void MergedShardsEqualTheWholeRunAndTimingsGoApart()
    {
        using var whole = new TempDir();
        using var parts = new TempDir();
        Run(whole.Path, Shard.Whole);
        RunAll(parts.Path, 3);
        var merged = Assert.Single(ShardMerge.Merge([parts.Path], parts.Path));
        Assert.Equal((3, 10, "propose"), (merged.Shards, merged.Images, merged.Verb));
        Assert.Equal(File.ReadAllBytes(whole.File("proposals.json")), File.ReadAllBytes(merged.Results));
        Assert.DoesNotContain("\"ms\"", File.ReadAllText(merged.Results));
        // The timings (which differ run to run) are in their own file, one entry per image, in the same order.
        string timings = File.ReadAllText(merged.Timings!);
        Assert.Equal(10, timings.Split("\"ms\"").Length - 1);
        Assert.True(timings.IndexOf("img/00.png", StringComparison.Ordinal) < timings.IndexOf("img/09.png", StringComparison.Ordinal));
    }

    [Fact]
    public void MoreShardsThanInputsLeaveSomeEmptyAndStillMerge()
    {
        using var dir = new TempDir();
        using var whole = new TempDir();
        for (int i = 0; i < 5; i++) Run(dir.Path, new Shard(i, 5), Inputs[..3]);
        Run(whole.Path, Shard.Whole, Inputs[..3]);
        var merged = Assert.Single(ShardMerge.Merge([dir.Path], dir.Path));
        Assert.Equal(File.ReadAllBytes(whole.File("proposals.json")), File.ReadAllBytes(merged.Results));
    }

    [Fact]
    public void AMissingShardIsNamed()
    {
        using var dir = new TempDir();
        RunAll(dir.Path, 4);
        File.Delete(dir.File("proposals.shard-2-of-4.json"));
        string line = Refused(dir.Path);
        Assert.Contains("shard 2 of 4 is missing", line);
        Assert.Contains("--shard 2/4", line);
    }

    [Fact]
    public void AShardOfAnotherCountIsNamed()
    {
        using var dir = new TempDir();
        RunAll(dir.Path, 4);
        Run(dir.Path, new Shard(1, 3));
        string line = Refused(dir.Path);
        Assert.StartsWith(dir.File("proposals.shard-1-of-3.json") + ": a shard of 3", line);
    }

    [Fact]
    public void AShardRunWithOtherOptionsOrInputsOrVerbIsNamed()
    {
        using var dir = new TempDir();
        RunAll(dir.Path, 4);
        Run(dir.Path, new Shard(2, 4), options: Options("quality"));
        Assert.StartsWith(dir.File("proposals.shard-2-of-4.json") + ": has --mode \"quality\"", Refused(dir.Path));

        Run(dir.Path, new Shard(2, 4), inputs: [.. Inputs, "img/10.png"]);
        Assert.Contains("was run over 11 inputs", Refused(dir.Path));

        Run(dir.Path, new Shard(2, 4), inputs: [.. Inputs[..9], "img/other.png"]);
        Assert.Contains("same images, folders or --list", Refused(dir.Path));

        Run(dir.Path, new Shard(2, 4), verb: "detect");
        Assert.Contains("was written by 'detect'", Refused(dir.Path));
    }

    [Fact]
    public void AShardGivenTwiceIsNamed()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        RunAll(a.Path, 2);
        Run(b.Path, new Shard(1, 2));
        Assert.Contains("is also in", Refused(a.Path, b.Path));
    }

    [Fact]
    public void ADamagedCutOrRenamedShardIsNamed()
    {
        using var dir = new TempDir();
        RunAll(dir.Path, 2);
        string file = dir.File("proposals.shard-1-of-2.json");
        string good = File.ReadAllText(file);

        File.WriteAllText(file, good[..(good.Length / 2)]);
        Assert.StartsWith(file + ": not a shard results file", Refused(dir.Path));

        // One item dropped: the shard no longer holds all of its inputs.
        int last = good.LastIndexOf("{\n      \"index\"", StringComparison.Ordinal);
        File.WriteAllText(file, good[..good.LastIndexOf(',', last)] + "\n  ]\n}");
        Assert.Contains("holds 4 of its 5 inputs", Refused(dir.Path));

        File.Delete(file);
        File.WriteAllText(dir.File("proposals.shard-0-of-2.json.bak"), "");
        File.Move(dir.File("proposals.shard-0-of-2.json"), dir.File("proposals.shard-1-of-2.json"));
        Assert.Contains("was it renamed?", Refused(dir.Path));
    }

    [Fact]
    public void AFolderWithoutShardsIsOneLine()
    {
        using var dir = new TempDir();
        Assert.Contains("no shard files", Assert.Throws<ArgumentException>(() => ShardMerge.Merge([dir.Path], dir.Path)).Message);
        Assert.Contains("no such folder", Assert.Throws<ArgumentException>(() => ShardMerge.Merge([dir.File("nope")], dir.Path)).Message);
    }
}
