using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aperture.Core;

/// <summary>
/// The results of a verb that maps over images (<c>propose</c>, <c>detect</c>, <c>cam</c>, <c>segment</c>,
/// <c>predict</c>), for the whole <see cref="ImageManifest"/> or one <see cref="Shard"/> of it.
/// <para>
/// A whole run writes <c>NAME.json</c> (the per-image results in manifest order) and, when the results carry timings,
/// <c>NAME.timings.json</c>: timings are moved out of the results so that the results depend only on the inputs and
/// options, never on the machine or its load. A shard writes one file, <c>NAME.shard-i-of-N.json</c>, holding a
/// header (verb, options, shard, manifest size and hash) and its items; <see cref="ShardMerge"/> joins N of them.
/// The whole run's files are made by that same merge (of one in-memory shard 0/1), so N shards merged equal one
/// process byte for byte by construction, given results that do not depend on the process.
/// </para>
/// </summary>
/// <param name="verb">The verb (<c>propose</c>, …): recorded so that merge refuses to join different verbs.</param>
/// <param name="name">The results' name: <c>NAME.json</c>, <c>NAME.shard-i-of-N.json</c>.</param>
/// <param name="manifest">All inputs, sorted (<see cref="ImageManifest.Build"/>).</param>
/// <param name="shard">This process's part (<see cref="Shard.Whole"/> for all).</param>
/// <param name="options">The options that decide the results (name → value as JSON text), compared by merge.</param>
/// <param name="timingFields">Result properties (snake_case) that are timings: moved to <c>NAME.timings.json</c>.</param>
public sealed class BatchResults(string verb, string name, IReadOnlyList<string> manifest, Shard shard, IReadOnlyDictionary<string, string?> options,
    params string[] timingFields)
{
    /// <summary>The format tag of a shard file.</summary>
    public const string Format = "aperture-shard-1";

    private readonly List<object> results = [];
    private readonly IReadOnlyList<int> positions = shard.Count >= 1 && shard.Index >= 0 && shard.Index < shard.Count
        ? shard.Positions(manifest.Count).ToList()
        : throw new ArgumentException($"shard {shard} is not i/N with 0 <= i < N");

    /// <summary>The verb.</summary>
    public string Verb { get; } = verb;

    /// <summary>The results' name.</summary>
    public string Name { get; } = name;

    /// <summary>All inputs, sorted.</summary>
    public IReadOnlyList<string> Manifest { get; } = manifest;

    /// <summary>This process's part.</summary>
    public Shard Shard { get; } = shard;

    /// <summary>The options recorded in a shard file's header.</summary>
    public IReadOnlyDictionary<string, string?> Options { get; } = options;

    /// <summary>Result properties moved to the timings file.</summary>
    public IReadOnlyList<string> TimingFields { get; } = timingFields;

    /// <summary>The inputs this process handles, in manifest order: call <see cref="Add"/> once for each, in this order.</summary>
    public IReadOnlyList<string> Images => images ??= positions.Select(p => Manifest[p]).ToList();

    private IReadOnlyList<string>? images;

    /// <summary>The results added so far.</summary>
    public int Count => results.Count;

    /// <summary>Adds the result of the next image of <see cref="Images"/> (a record serialised like <c>results.json</c>).</summary>
    public void Add(object result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (results.Count >= positions.Count) throw new InvalidOperationException($"{Name}: more results than the {positions.Count} images of shard {Shard}");
        results.Add(result);
    }

    /// <summary>
    /// Writes into <paramref name="folder"/>, atomically: for the whole batch <c>NAME.json</c> (and
    /// <c>NAME.timings.json</c> when there are timing fields), for a shard <c>NAME.shard-i-of-N.json</c>.
    /// </summary>
    /// <returns>The results file (the shard file for a shard).</returns>
    public string Write(string folder)
    {
        if (results.Count != positions.Count)
            throw new InvalidOperationException($"{Name}: {results.Count} results for the {positions.Count} images of shard {Shard}");
        string text = Document().ToJsonString(RunResults.Json);
        if (!Shard.IsWhole)
        {
            string path = Path.Combine(folder, Shard.FileName(Name));
            AtomicFile.WriteAllText(path, text);
            return path;
        }
        // The whole batch is the merge of one shard, 0/1, through the same text: one path to the bytes.
        return ShardMerge.Write([ShardFile.Parse(text, $"{Name} (this run)")], folder).Results;
    }

    private JsonObject Document()
    {
        var items = new JsonArray();
        for (int k = 0; k < results.Count; k++)
        {
            var result = JsonSerializer.SerializeToNode(results[k], results[k].GetType(), RunResults.Json) as JsonObject
                ?? throw new ArgumentException($"{Name}: a result must serialise to a JSON object");
            var timing = new JsonObject();
            foreach (string f in TimingFields)
                if (result.TryGetPropertyValue(f, out var v))
                {
                    result.Remove(f);
                    timing[f] = v;
                }
            items.Add(new JsonObject { ["index"] = positions[k], ["image"] = Manifest[positions[k]], ["result"] = result, ["timing"] = timing });
        }
        var options = new JsonObject();
        foreach (var (key, value) in Options.OrderBy(kv => kv.Key, StringComparer.Ordinal)) options[key] = value is null ? null : JsonNode.Parse(value);
        return new JsonObject
        {
            ["format"] = Format,
            ["verb"] = Verb,
            ["name"] = Name,
            ["shard"] = Shard.Index,
            ["of"] = Shard.Count,
            ["images"] = Manifest.Count,
            ["manifest_sha256"] = ImageManifest.Sha256(Manifest),
            ["options"] = options,
            ["timing_fields"] = new JsonArray([.. TimingFields.Select(f => (JsonNode?)f)]),
            ["items"] = items,
        };
    }
}
