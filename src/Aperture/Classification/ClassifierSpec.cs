using System.Text.Json.Nodes;
using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>
/// What a trained classifier is: its architecture name, classes and input convention. Stored in every
/// checkpoint (as the trainer's <c>model</c> metadata) so <c>eval</c> and <c>predict</c> rebuild the model from the file alone.
/// </summary>
/// <param name="Model">Architecture name, one of <see cref="Classifiers.Names"/>.</param>
/// <param name="ClassNames">Class names, indexed by label.</param>
/// <param name="InChannels">Input channels C.</param>
/// <param name="InputSize">Input side H = W in pixels.</param>
/// <param name="Mean">Mean subtracted from pixels in [0, 1].</param>
/// <param name="Std">Standard deviation the pixels are divided by.</param>
public sealed record ClassifierSpec(string Model, IReadOnlyList<string> ClassNames, int InChannels, int InputSize, float Mean, float Std)
{
    /// <summary>The spec as JSON for checkpoint metadata.</summary>
    public JsonObject ToJson() => new()
    {
        ["task"] = "classification",
        ["architecture"] = Model,
        ["class_names"] = new JsonArray(ClassNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        ["in_channels"] = InChannels,
        ["input_size"] = InputSize,
        ["mean"] = Mean,
        ["std"] = Std,
    };

    /// <summary>Reads the spec back from a checkpoint's metadata.</summary>
    /// <exception cref="InvalidDataException">The checkpoint holds no classifier description.</exception>
    public static ClassifierSpec FromCheckpoint(CheckpointInfo info)
    {
        if (info.Metadata["model"] is not JsonObject m || (string?)m["task"] != "classification")
            throw new InvalidDataException($"{info.Path}: this checkpoint does not describe a classifier (no 'model' metadata of task 'classification'); train one with 'aperture train classify'");
        try
        {
            return new ClassifierSpec(
                (string)m["architecture"]!,
                m["class_names"]!.AsArray().Select(n => (string)n!).ToArray(),
                (int)m["in_channels"]!, (int)m["input_size"]!, (float)m["mean"]!, (float)m["std"]!);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"{info.Path}: the classifier description in this checkpoint is incomplete ({e.Message})");
        }
    }

    /// <summary>Builds a fresh, untrained model of this architecture.</summary>
    public nn.Module<Tensor, Tensor> CreateModel() => Classifiers.Create(Model, ClassNames.Count, InChannels);

    /// <summary>Loads a trained classifier from a checkpoint file, in eval mode.</summary>
    public static (nn.Module<Tensor, Tensor> Model, ClassifierSpec Spec) Load(string checkpointPath)
    {
        var spec = FromCheckpoint(Checkpoint.ReadInfo(checkpointPath));
        var model = spec.CreateModel();
        Checkpoint.LoadModule(checkpointPath, model);
        model.eval();
        return (model, spec);
    }

    /// <summary>Turns <c>uint8 [N, C, H, W]</c> pixels into the model's normalised float input.</summary>
    public Tensor Normalize(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != InChannels)
            throw new ArgumentException($"expected images [N, {InChannels}, {InputSize}, {InputSize}], got [{string.Join(", ", images.shape)}]");
        return images.to_type(ScalarType.Float32).div(255).sub_(Mean).div_(Std);
    }
}
