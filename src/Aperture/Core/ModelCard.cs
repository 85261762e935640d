using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Aperture.Core;

/// <summary>
/// What a checkpoint holds, in one typed record for every method: the family (classifier, detector, localizer; later
/// segmenter and generative model), the method's registry name, its classes, its input convention and its typed
/// settings. Written by the trainer into every checkpoint it saves (header metadata key <see cref="MetadataKey"/>) and
/// serialised with System.Text.Json, so <c>eval</c>, <c>predict</c>, <c>cam</c>, <c>detect</c> rebuild a model from the
/// file alone — and, given a model of the wrong family, name the verb that takes it.
/// </summary>
public sealed record ModelCard
{
    /// <summary>The checkpoint metadata key the card is stored under.</summary>
    public const string MetadataKey = "card";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The family, one of <see cref="ModelFamily"/>'s names: which registry knows <see cref="Method"/>.</summary>
    public required string Family { get; init; }

    /// <summary>The method's name in its family's registry, e.g. <c>lenet5</c> or <c>fast-rcnn</c>.</summary>
    public required string Method { get; init; }

    /// <summary>Class names, indexed by label (no background entry).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Input channels C.</summary>
    public int InChannels { get; init; }

    /// <summary>Input side H = W in pixels the network expects, or 0 when it takes any size.</summary>
    public int InputSize { get; init; }

    /// <summary>Mean subtracted from pixels in [0, 1]: one value for all channels, or one per channel.</summary>
    public float[] Mean { get; init; } = [];

    /// <summary>Standard deviation the pixels are divided by, shaped like <see cref="Mean"/>.</summary>
    public float[] Std { get; init; } = [];

    /// <summary>Channel widths of the network's stages, when the method lets them vary.</summary>
    public int[]? Widths { get; init; }

    /// <summary>The proposal source a detector was trained with, or null.</summary>
    public string? Proposals { get; init; }

    /// <summary>Where a detector's conv body started: the pre-trained classifier it was initialised from (method and
    /// checkpoint file), or null when it was trained from scratch.</summary>
    public string? BackboneWeights { get; init; }

    /// <summary>The method's own settings (its options record), or null.</summary>
    public JsonObject? Settings { get; init; }

    /// <summary>Serialises a method's options record into <see cref="Settings"/> form.</summary>
    public static JsonObject SettingsOf(object options) => JsonSerializer.SerializeToNode(options, options.GetType(), Json)!.AsObject();

    /// <summary>Reads <see cref="Settings"/> back as the method's options record.</summary>
    public T SettingsAs<T>() where T : class => (T)SettingsAs(typeof(T));

    /// <summary>Reads <see cref="Settings"/> back as an options record of type <paramref name="type"/>.</summary>
    /// <exception cref="InvalidDataException">The settings are missing or do not fit the type.</exception>
    public object SettingsAs(Type type)
    {
        try
        {
            return Settings?.Deserialize(type, Json) ?? throw new InvalidDataException($"the {Family} card of '{Method}' has no settings");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"the settings of '{Method}' do not fit {type.Name}: {e.Message}", e);
        }
    }

    /// <summary>Largest input side, channel count, stage width and class count a card may give before any tensor is allocated from it.</summary>
    public const int MaxInputSize = 16384, MaxChannels = 64, MaxWidth = 65536, MaxClasses = 100_000;

    /// <summary>Refuses sizes no trained model has (an edited header with a valid checksum), before anything is allocated.</summary>
    /// <exception cref="InvalidDataException">A size is negative, zero where it must not be, or absurdly large.</exception>
    private void CheckBounds(string path)
    {
        string? bad =
            InChannels is < 0 or > MaxChannels ? $"input channels {InChannels} (0 to {MaxChannels})"
            : InputSize is < 0 or > MaxInputSize ? $"input size {InputSize} (0 to {MaxInputSize})"
            : ClassNames.Count > MaxClasses ? $"{ClassNames.Count} classes (at most {MaxClasses})"
            : Widths is { } w && (w.Length > 256 || w.Any(x => x is < 1 or > MaxWidth)) ? $"stage widths [{string.Join(", ", w.Take(8))}] (1 to {MaxWidth} each)"
            : Mean.Length > MaxChannels || Std.Length > MaxChannels ? $"{Mean.Length} means and {Std.Length} standard deviations"
            : null;
        if (bad is not null)
            throw new InvalidDataException($"{path}: the model card gives {bad}; the checkpoint's header was edited or damaged — use the original file or train again");
    }

    /// <summary>What differs between two cards, each as <c>name old -> new</c>: a setting by its name, another field
    /// (e.g. <c>backbone_weights</c> of a copied run folder) by its own.</summary>
    public static IReadOnlyList<string> Changes(ModelCard? before, ModelCard after)
    {
        static IEnumerable<string> Diff(JsonObject? a, JsonObject? b, Func<string, JsonNode?, JsonNode?, IEnumerable<string>> nested) =>
            (a ?? new JsonObject()).Select(kv => kv.Key).Union((b ?? new JsonObject()).Select(kv => kv.Key))
                .Where(key => !JsonNode.DeepEquals(a?[key], b?[key]))
                .SelectMany(key => nested(key, a?[key], b?[key]));
        static string Line(string key, JsonNode? a, JsonNode? b) => $"{key} {a?.ToJsonString() ?? "none"} -> {b?.ToJsonString() ?? "none"}";
        return Diff(before?.ToJson(), after.ToJson(), (key, a, b) => key == "settings" && a is JsonObject sa && b is JsonObject sb
            ? Diff(sa, sb, (k, x, y) => [Line(k, x, y)])
            : [Line(key, a, b)]).ToList();
    }

    /// <summary>The card as JSON, for checkpoint metadata and results files.</summary>
    public JsonObject ToJson() => JsonSerializer.SerializeToNode(this, Json)!.AsObject();

    /// <summary>The card in a checkpoint's metadata, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">A card is there but incomplete or malformed.</exception>
    public static ModelCard? Find(CheckpointInfo info)
    {
        if (info.Metadata[MetadataKey] is not JsonObject node) return null;
        try
        {
            var card = node.Deserialize<ModelCard>(Json);
            if (card is null || string.IsNullOrEmpty(card.Family) || string.IsNullOrEmpty(card.Method))
                throw new InvalidDataException($"{info.Path}: the model card names no family or method");
            card.CheckBounds(info.Path);
            return card;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{info.Path}: the model card is malformed ({e.Message})");
        }
    }

    /// <summary>Reads the card of a checkpoint file.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged or holds no card (not a model, or written before cards existed).</exception>
    public static ModelCard Read(string checkpoint) => Find(Checkpoint.ReadInfo(checkpoint))
        ?? throw new InvalidDataException($"{checkpoint}: this checkpoint holds no model card (it is not a trained model, or was written by an older Aperture: train it again)");

    /// <summary>Reads the card of a checkpoint and checks it is of <paramref name="family"/>.</summary>
    /// <param name="checkpoint">Checkpoint file.</param>
    /// <param name="family">The family the caller needs.</param>
    /// <exception cref="InvalidDataException">No card, or another family's model (the message names the verbs that take it).</exception>
    public static ModelCard Expect(string checkpoint, string family)
    {
        var card = Find(Checkpoint.ReadInfo(checkpoint))
            ?? throw new InvalidDataException($"{checkpoint}: this checkpoint holds no model card, so it is no trained {ModelFamily.Describe(family)} "
                + $"(it was written by something else, or by an older Aperture: train it again)");
        if (card.Family != family)
            throw new InvalidDataException($"{checkpoint}: this is a {ModelFamily.Describe(card.Family)} ({card.Method}), not a {ModelFamily.Describe(family)}; "
                + $"use {ModelFamily.VerbsFor(card.Family)}");
        return card;
    }
}

/// <summary>The families of models, with what the CLI does with each (so a wrong checkpoint gets a useful message).</summary>
public static class ModelFamily
{
    /// <summary>Whole-image classifiers (<c>aperture train classify</c>).</summary>
    public const string Classifier = "classifier";

    /// <summary>Object detectors (<c>aperture train detect</c>).</summary>
    public const string Detector = "detector";

    /// <summary>Weakly supervised localizers (<c>aperture localize</c>).</summary>
    public const string Localizer = "localizer";

    /// <summary>Semantic segmenters (<c>aperture train segment</c>).</summary>
    public const string Segmenter = "segmenter";

    /// <summary>Density models (<c>aperture train density</c>).</summary>
    public const string DensityModel = "density";

    /// <summary>Generative adversarial networks (<c>aperture train gan</c>).</summary>
    public const string Gan = "gan";

    /// <summary>Feature learners: auto-encoders and context encoders (<c>aperture train autoencoder</c>, <c>train context-encoder</c>).</summary>
    public const string Encoder = "encoder";

    private static readonly Dictionary<string, (string Words, string Verbs)> Known = new()
    {
        [Classifier] = ("classifier", "'aperture eval', 'predict', 'cam' or 'visualize'"),
        [Detector] = ("detector", "'aperture detect'"),
        [Localizer] = ("weakly supervised localizer", "'aperture localize'"),
        [Segmenter] = ("segmenter", "'aperture segment'"),
        [DensityModel] = ("density model", "'aperture score' or 'aperture sample'"),
        [Gan] = ("generative adversarial network", "'aperture generate' or 'aperture sample'"),
        [Encoder] = ("feature learner (auto-encoder or context encoder)", "'aperture transfer' or 'aperture inpaint' (context encoders)"),
    };

    /// <summary>The family in words.</summary>
    public static string Describe(string family) => Known.TryGetValue(family, out var k) ? k.Words : $"'{family}' model";

    /// <summary>The verbs that take a model of <paramref name="family"/>.</summary>
    public static string VerbsFor(string family) => Known.TryGetValue(family, out var k) ? k.Verbs : "a newer Aperture (unknown family)";
}
