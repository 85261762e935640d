using System.Text.Json;

namespace Aperture.Core;

/// <summary>The <c>results.json</c> every run writes into its folder (and <c>--json</c> prints): snake_case, indented.</summary>
public static class RunResults
{
    /// <summary>The serializer settings of results files.</summary>
    public static JsonSerializerOptions Json { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>Writes <paramref name="results"/> as <c>folder/results.json</c> (or <paramref name="fileName"/>), atomically; returns the path.</summary>
    public static string Write<T>(string folder, T results, string fileName = "results.json")
    {
        string path = Path.Combine(folder, fileName);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(results, Json));
        return path;
    }

    /// <summary>Reads <c>folder/results.json</c> (or <paramref name="fileName"/>); null when it is missing or not a <typeparamref name="T"/>.</summary>
    public static T? Read<T>(string folder, string fileName = "results.json") where T : class
    {
        string path = Path.Combine(folder, fileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }
}
