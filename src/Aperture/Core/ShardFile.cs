using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aperture.Core;

/// <summary>One item of a shard file: an input's position in the manifest, its path, its result and its timings.</summary>
/// <param name="Index">Position in the sorted manifest.</param>
/// <param name="Image">The input's path, as given.</param>
/// <param name="Result">The result without its timing fields.</param>
/// <param name="Timing">The timing fields (may be empty).</param>
public sealed record ShardItem(int Index, string Image, JsonObject Result, JsonObject Timing);

/// <summary>
/// A shard results file (<c>NAME.shard-i-of-N.json</c>, written by <see cref="BatchResults"/>) read back: its header
/// and items, checked for shape; a file that is not one is an <see cref="InvalidDataException"/> naming it.
/// </summary>
/// <param name="Path">The file (or a description of an in-memory document).</param>
/// <param name="Verb">The verb that wrote it.</param>
/// <param name="Name">The results' name.</param>
/// <param name="Shard">Which shard it is.</param>
/// <param name="Images">How many inputs the whole manifest has.</param>
/// <param name="ManifestSha256">The manifest's hash (<see cref="ImageManifest.Sha256"/>).</param>
/// <param name="Options">The options that decide the results.</param>
/// <param name="TimingFields">The result properties that were moved to timings.</param>
/// <param name="Items">The items, in manifest order.</param>
public sealed record ShardFile(string Path, string Verb, string Name, Shard Shard, int Images, string ManifestSha256, JsonObject Options,
    IReadOnlyList<string> TimingFields, IReadOnlyList<ShardItem> Items)
{
    /// <summary>Reads a shard file.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or not a shard file of this format (the message names the file).</exception>
    public static ShardFile Read(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text of a shard file; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or not a shard file of this format.</exception>
    public static ShardFile Parse(string text, string path)
    {
        try
        {
            return Parse(JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{path}: not a shard results file (not a JSON object)"), path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a shard results file ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static ShardFile Parse(JsonObject root, string path)
    {
        if (Get<string>(root, "format", path) != BatchResults.Format)
            throw new InvalidDataException($"{path}: not a shard results file of format {BatchResults.Format}");
        int index = Get<int>(root, "shard", path), count = Get<int>(root, "of", path), images = Get<int>(root, "images", path);
        if (count < 1 || index < 0 || index >= count || images < 0) throw new InvalidDataException($"{path}: shard {index}/{count} of {images} images is not a valid shard");
        var options = root["options"] as JsonObject ?? throw Missing(path, "options");
        var timingFields = (root["timing_fields"] as JsonArray ?? throw Missing(path, "timing_fields")).Select(n => n?.GetValue<string>() ?? "").ToList();
        var items = new List<ShardItem>();
        foreach (var node in root["items"] as JsonArray ?? throw Missing(path, "items"))
        {
            if (node is not JsonObject item) throw new InvalidDataException($"{path}: an item is not a JSON object");
            items.Add(new ShardItem(Get<int>(item, "index", path), Get<string>(item, "image", path),
                item["result"] as JsonObject ?? throw Missing(path, "items[].result"), item["timing"] as JsonObject ?? throw Missing(path, "items[].timing")));
        }
        return new ShardFile(path, Get<string>(root, "verb", path), Get<string>(root, "name", path), new Shard(index, count), images,
            Get<string>(root, "manifest_sha256", path), options, timingFields, items);
    }

    private static T Get<T>(JsonObject o, string key, string path) =>
        o[key] is JsonValue v && v.TryGetValue(out T? value) && value is not null ? value
            : o[key] is null ? throw Missing(path, key) : throw new InvalidDataException($"{path}: '{key}' is not {(typeof(T) == typeof(string) ? "a string" : "an integer")}");

    private static InvalidDataException Missing(string path, string key) => new($"{path}: not a shard results file ('{key}' is missing)");
}
