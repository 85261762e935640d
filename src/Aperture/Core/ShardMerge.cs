using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Aperture.Core;

/// <summary>What one merge wrote.</summary>
/// <param name="Name">The results' name (<c>proposals</c>, …).</param>
/// <param name="Verb">The verb that made them.</param>
/// <param name="Shards">How many shard files were joined.</param>
/// <param name="Images">How many inputs.</param>
/// <param name="Results">The results file written (<c>NAME.json</c>).</param>
/// <param name="Timings">The timings file written (<c>NAME.timings.json</c>), or null when the verb records none.</param>
public sealed record MergedResults(string Name, string Verb, int Shards, int Images, string Results, string? Timings);

/// <summary>
/// <c>aperture merge</c>: joins the shard files <c>NAME.shard-i-of-N.json</c> of one batch into exactly the
/// <c>NAME.json</c> (and <c>NAME.timings.json</c>) a single process writes. Before writing anything it checks that
/// the N shards are all there, once each, with the same N, verb, options and manifest, and that each holds exactly its
/// own inputs; otherwise one <see cref="InvalidDataException"/> naming the missing or mismatched file.
/// </summary>
public static partial class ShardMerge
{
    [GeneratedRegex(@"^(?<name>.+)\.shard-(?<i>\d+)-of-(?<n>\d+)\.json$")]
    private static partial Regex ShardName();

    /// <summary>Finds every shard file in <paramref name="folders"/>, merges each batch (grouped by name) and writes it to <paramref name="outFolder"/>.</summary>
    /// <returns>One entry per batch merged, by name.</returns>
    /// <exception cref="ArgumentException">A folder does not exist, or holds no shard file.</exception>
    /// <exception cref="InvalidDataException">A shard is missing, repeated, damaged or from another batch (the message names the file).</exception>
    public static IReadOnlyList<MergedResults> Merge(IReadOnlyList<string> folders, string outFolder)
    {
        if (folders.Count == 0) throw new ArgumentException("merge needs at least one folder holding shard files (NAME.shard-i-of-N.json)");
        var files = new List<(string Path, string Name, Shard Shard)>();
        foreach (string folder in folders)
        {
            if (!Directory.Exists(folder)) throw new ArgumentException($"{folder}: no such folder");
            foreach (string f in Directory.EnumerateFiles(folder, "*.shard-*-of-*.json").Order(StringComparer.Ordinal))
                if (ShardName().Match(System.IO.Path.GetFileName(f)) is { Success: true } m
                    && int.TryParse(m.Groups["i"].Value, out int i) && int.TryParse(m.Groups["n"].Value, out int n))
                    files.Add((f, m.Groups["name"].Value, new Shard(i, n)));
        }
        if (files.Count == 0)
            throw new ArgumentException($"{string.Join(", ", folders)}: no shard files (NAME.shard-i-of-N.json, written by a verb run with --shard i/N)");
        // Check every batch before writing any, so that a failed merge writes nothing.
        var batches = files.GroupBy(f => f.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Check(g.Key, g.ToList())).ToList();
        return batches.Select(b => Write(b, outFolder)).ToList();
    }

    /// <summary>Writes the results (and timings) of the checked shards of one batch, in manifest order, atomically.</summary>
    /// <param name="shards">All N shards of one batch, in shard order.</param>
    /// <param name="outFolder">Where <c>NAME.json</c> goes.</param>
    public static MergedResults Write(IReadOnlyList<ShardFile> shards, string outFolder)
    {
        var first = shards[0];
        var items = shards.SelectMany(s => s.Items).OrderBy(i => i.Index).ToList();
        var results = new JsonArray([.. items.Select(i => (JsonNode?)i.Result.DeepClone())]);
        string resultsPath = Path.Combine(outFolder, first.Name + ".json");
        AtomicFile.WriteAllText(resultsPath, results.ToJsonString(RunResults.Json));
        string? timingsPath = null;
        if (first.TimingFields.Count > 0)
        {
            var timings = new JsonArray();
            foreach (var item in items)
            {
                var t = new JsonObject { ["image"] = item.Image };
                foreach (var (key, value) in item.Timing) t[key] = value?.DeepClone();
                timings.Add(t);
            }
            timingsPath = Path.Combine(outFolder, first.Name + ".timings.json");
            AtomicFile.WriteAllText(timingsPath, timings.ToJsonString(RunResults.Json));
        }
        return new MergedResults(first.Name, first.Verb, shards.Count, first.Images, resultsPath, timingsPath);
    }

    private static List<ShardFile> Check(string name, List<(string Path, string Name, Shard Shard)> files)
    {
        // N by majority, so that the odd file out is the one named.
        int n = files.GroupBy(f => f.Shard.Count).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).First().Key;
        var reference = files.First(f => f.Shard.Count == n);
        if (files.FirstOrDefault(f => f.Shard.Count != n) is { Path: not null } odd)
            throw new InvalidDataException($"{odd.Path}: a shard of {odd.Shard.Count}, but {reference.Path} is a shard of {n}; every shard of one batch must be run with the same --shard count N");
        var byIndex = new ShardFile?[n];
        foreach (var f in files)
        {
            if (f.Shard.Index >= n) throw new InvalidDataException($"{f.Path}: shard {f.Shard.Index} of {n} does not exist (shards are 0 to {n - 1})");
            if (byIndex[f.Shard.Index] is { } twice)
                throw new InvalidDataException($"{f.Path}: shard {f.Shard} is also in {twice.Path}; give each shard once");
            var s = ShardFile.Read(f.Path);
            if (s.Shard != f.Shard || s.Name != name)
                throw new InvalidDataException($"{f.Path}: its name says {name} shard {f.Shard} but it holds {s.Name} shard {s.Shard}; was it renamed?");
            byIndex[f.Shard.Index] = s;
        }
        for (int i = 0; i < n; i++)
            if (byIndex[i] is null)
                throw new InvalidDataException($"{name}: shard {i} of {n} is missing ({name}.shard-{i}-of-{n}.json is in none of the folders given); run it with --shard {i}/{n}, then merge again");
        var shards = byIndex.Select(s => s!).ToList();
        var head = shards[0];
        foreach (var s in shards.Skip(1)) SameBatch(head, s);
        foreach (var s in shards) OwnItems(s);
        return shards;
    }

    private static void SameBatch(ShardFile head, ShardFile s)
    {
        if (s.Verb != head.Verb) throw Mismatch(s, head, $"was written by '{s.Verb}'", $"by '{head.Verb}'", "merge shards of one verb");
        foreach (string key in head.Options.Select(kv => kv.Key).Union(s.Options.Select(kv => kv.Key)).Order(StringComparer.Ordinal))
        {
            string mine = s.Options[key]?.ToJsonString() ?? "(not set)", theirs = head.Options[key]?.ToJsonString() ?? "(not set)";
            if (mine != theirs) throw Mismatch(s, head, $"has {key} {mine}", $"has {theirs}",
                "run every shard with the same options, --threads and --device (float sums can differ in their last bits between thread counts and devices)");
        }
        if (s.Images != head.Images || s.ManifestSha256 != head.ManifestSha256)
            throw Mismatch(s, head, $"was run over {s.Images} inputs (manifest {s.ManifestSha256[..Math.Min(12, s.ManifestSha256.Length)]})",
                $"over {head.Images} (manifest {head.ManifestSha256[..Math.Min(12, head.ManifestSha256.Length)]})", "give every shard the same images, folders or --list");
        if (!s.TimingFields.SequenceEqual(head.TimingFields)) throw Mismatch(s, head, "records other timing fields", "does not", "run every shard with the same version of aperture");
    }

    private static void OwnItems(ShardFile s)
    {
        var expected = s.Shard.Positions(s.Images).ToList();
        var actual = s.Items.Select(i => i.Index).ToList();
        if (!actual.SequenceEqual(expected))
        {
            string what = actual.Except(expected).FirstOrDefault(-1) is int extra and >= 0 ? $"holds input {extra}, which is not its own"
                : actual.Count != actual.Distinct().Count() ? "holds an input twice"
                : $"holds {actual.Count} of its {expected.Count} inputs (positions p with p % {s.Shard.Count} == {s.Shard.Index}); was it cut short?";
            throw new InvalidDataException($"{s.Path}: {what}");
        }
    }

    private static InvalidDataException Mismatch(ShardFile s, ShardFile head, string mine, string theirs, string advice) =>
        new($"{s.Path}: {mine}, but {head.Path} {theirs}: not a shard of the same batch; {advice}");
}
