using System.Text.Json.Nodes;
using Aperture.Core;

namespace Aperture.Detection;

/// <summary>
/// What a trained detector is, stored as the <c>model</c> metadata of its checkpoint so that <c>aperture detect</c>
/// rebuilds it from the file alone.
/// </summary>
/// <param name="Method"><c>sliding</c>, <c>rcnn</c> or <c>fast-rcnn</c>.</param>
/// <param name="ClassNames">Object class names by class id.</param>
/// <param name="Widths">Backbone stage widths.</param>
/// <param name="Settings">Method settings (pool size, warp size, window sizes, ...), as JSON.</param>
/// <param name="Proposals">Proposal source name the detector was trained with (null for sliding windows).</param>
public sealed record DetectorSpec(string Method, IReadOnlyList<string> ClassNames, int[] Widths, JsonObject Settings, string? Proposals)
{
    /// <summary>The methods.</summary>
    public static IReadOnlyList<string> Methods { get; } = new[] { "sliding", "rcnn", "fast-rcnn" };

    /// <summary>The spec as JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["task"] = "detection",
        ["method"] = Method,
        ["class_names"] = new JsonArray(ClassNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        ["widths"] = new JsonArray(Widths.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
        ["settings"] = Settings.DeepClone(),
        ["proposals"] = Proposals,
    };

    /// <summary>Reads the spec from a checkpoint's metadata.</summary>
    /// <exception cref="InvalidDataException">The checkpoint holds no detector description.</exception>
    public static DetectorSpec FromCheckpoint(CheckpointInfo info)
    {
        if (info.Metadata["model"] is not JsonObject m || (string?)m["task"] != "detection")
            throw new InvalidDataException($"{info.Path}: this checkpoint does not describe a detector (no 'model' metadata of task 'detection'); train one with 'aperture train detect'");
        try
        {
            return new DetectorSpec((string)m["method"]!, m["class_names"]!.AsArray().Select(n => (string)n!).ToArray(),
                m["widths"]!.AsArray().Select(n => (int)n!).ToArray(), m["settings"]!.AsObject().DeepClone().AsObject(), (string?)m["proposals"]);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{info.Path}: the detector description in this checkpoint is incomplete ({e.Message})");
        }
    }
}
