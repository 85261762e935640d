using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Core.Weights;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>
/// Turns classifier weights trained elsewhere (a PyTorch <c>state_dict</c> <c>.pt</c> or a <c>.safetensors</c> file) into an
/// Aperture run folder, so <c>eval</c>, <c>predict</c>, <c>cam</c> and <c>visualize</c> take it like a model trained here.
/// </summary>
public static class ClassifierImport
{
    /// <summary>Builds the classifier <paramref name="spec"/> names, loads the weights into it and writes <c>RUN/checkpoints/best.ckpt</c> with its card.</summary>
    /// <param name="weights">The weights file.</param>
    /// <param name="spec">Architecture, classes and the input normalisation the weights were trained with.</param>
    /// <param name="outRun">The run folder to write.</param>
    /// <param name="map">Renames the file's tensors to the model's names (default: none).</param>
    /// <param name="strict">Require every tensor to match (else keep fresh values for missing ones, e.g. a new head).</param>
    /// <returns>The checkpoint written and what was loaded.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or does not fit the model (the message lists the tensors).</exception>
    public static (string Checkpoint, WeightsLoadReport Report) Run(string weights, ClassifierSpec spec, string outRun, WeightNameMap? map = null, bool strict = true)
    {
        using var model = spec.CreateModel();
        var report = WeightLoader.Load(model, weights, map, strict);
        string checkpoint = Path.Combine(outRun, "checkpoints", "best.ckpt");
        var metadata = new JsonObject
        {
            [ModelCard.MetadataKey] = spec.ToCard().ToJson(),
            ["imported_from"] = report.File,
        };
        Checkpoint.Save(checkpoint, 0, new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = model }, metadata: metadata);
        return (checkpoint, report);
    }
}
