using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>What a detector trains on.</summary>
/// <param name="Train">Training images (with proposals attached when the method uses them).</param>
/// <param name="Validation">Validation images (picks <c>best.ckpt</c>), or empty.</param>
/// <param name="ClassNames">Object class names (no background).</param>
/// <param name="Proposals">Name of the proposal source, stored in the model card, or null.</param>
/// <param name="Body">Pre-trained weights the conv body starts from (recorded in the model card), or null to train it from scratch.</param>
public sealed record DetectorTrainingData(IReadOnlyList<DetectionImage> Train, IReadOnlyList<DetectionImage> Validation, IReadOnlyList<string> ClassNames,
    string? Proposals, BackboneWeights? Body = null);

/// <summary>A trained detector and how its training went.</summary>
/// <param name="Detector">The detector, ready to <see cref="IObjectDetector.Detect"/>.</param>
/// <param name="Result">The trainer's result (for R-CNN, the fine-tuning's).</param>
/// <param name="ExtraSeconds">Time of stages after the trainer's epochs (R-CNN's SVMs and regressors).</param>
/// <param name="Stages">Method-specific account of those stages (e.g. <c>RcnnStages</c>), or null.</param>
public sealed record TrainedDetector(IObjectDetector Detector, TrainingResult Result, double ExtraSeconds = 0, object? Stages = null);

/// <summary>
/// One detection method of the <see cref="Detectors"/> registry: its name, its recipe, how it trains and how it is
/// rebuilt from a checkpoint. A new detector is one folder implementing this, plus one line in <see cref="Detectors.All"/>.
/// </summary>
public interface IDetectorMethod
{
    /// <summary>The name the CLI, the report and model cards use, e.g. <c>fast-rcnn</c>.</summary>
    string Name { get; }

    /// <summary>What it is, with its paper.</summary>
    string Description { get; }

    /// <summary>True when it needs object proposals for every image.</summary>
    bool UsesProposals { get; }

    /// <summary>Lowest score worth drawing (scores of different methods live on different scales).</summary>
    double DisplayThreshold { get; }

    /// <summary>The recipe for a budget; its <see cref="DetectorRecipe.Options"/> is this method's options record.</summary>
    DetectorRecipe Recipe(RunBudget budget);

    /// <summary>Trains on <paramref name="data"/>; the trainer's checkpoints carry the model card, so the run folder is the model.</summary>
    /// <param name="data">Images, classes, proposal source name.</param>
    /// <param name="options">This method's options record (from <see cref="Recipe"/>, maybe overridden).</param>
    /// <param name="training">Epochs, optimizer, output folder, seed, progress.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines, or null.</param>
    TrainedDetector Train(DetectorTrainingData data, object options, TrainingOptions training, Device device, TextWriter? log);

    /// <summary>Rebuilds a trained detector from a checkpoint with its card, in eval mode on <paramref name="device"/>.</summary>
    /// <exception cref="InvalidDataException">The checkpoint does not hold what the card says.</exception>
    IObjectDetector Load(string checkpoint, ModelCard card, Device device);
}
