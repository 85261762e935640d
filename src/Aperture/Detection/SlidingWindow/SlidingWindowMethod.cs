using Aperture.Core;
using TorchSharp;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection.SlidingWindow;

/// <summary>The sliding-window baseline in the <see cref="Detectors"/> registry (see <see cref="SlidingWindowDetector"/>).</summary>
public sealed class SlidingWindowMethod : IDetectorMethod
{
    /// <summary>The method's name in the registry and its model cards.</summary>
    public const string Id = "sliding";

    /// <inheritdoc/>
    public string Name => Id;

    /// <inheritdoc/>
    public string Description => "a window classifier slid over an image pyramid, then per-class NMS (the brute-force baseline)";

    /// <inheritdoc/>
    public bool UsesProposals => false;

    /// <inheritdoc/>
    public double DisplayThreshold => 0.5;

    /// <inheritdoc/>
    public DetectorRecipe Recipe(RunBudget budget) =>
        new(budget switch { RunBudget.Quick => 2, RunBudget.Report => 5, _ => 8 }, OptimizerKind.Adam, 1e-3, new SlidingWindowOptions());

    /// <inheritdoc/>
    public TrainedDetector Train(DetectorTrainingData data, object options, TrainingOptions training, Device device, TextWriter? log)
    {
        var (detector, result) = SlidingWindowDetector.Train(data.Train, data.Validation, data.ClassNames, (SlidingWindowOptions)options, training, device, data.Body);
        return new TrainedDetector(detector, result);
    }

    /// <inheritdoc/>
    public IObjectDetector Load(string checkpoint, ModelCard card, Device device)
    {
        var o = card.SettingsAs<SlidingWindowOptions>();
        var net = new SlidingWindowNetwork(card.ClassNames.Count, o.WindowSize, o.HiddenSize, card.Widths);
        Checkpoint.LoadModule(checkpoint, new SlidingWindowDetector.WindowLogits(net));
        net.to(device);
        return new SlidingWindowDetector(net, card.ClassNames, o);
    }
}
