using Aperture.Core;
using TorchSharp;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection.FastRcnn;

/// <summary>Fast R-CNN (Girshick, ICCV 2015) in the <see cref="Detectors"/> registry (see <see cref="FastRcnnTraining"/>).</summary>
public sealed class FastRcnnMethod : IDetectorMethod
{
    /// <summary>The method's name in the registry and its model cards.</summary>
    public const string Id = "fast-rcnn";

    /// <inheritdoc/>
    public string Name => Id;

    /// <inheritdoc/>
    public string Description => "Fast R-CNN (Girshick 2015): one conv pass per image, RoI Align (the paper's RoI max pooling: --set roi_align=false), softmax and smooth-L1 box regression";

    /// <inheritdoc/>
    public bool UsesProposals => true;

    /// <inheritdoc/>
    public double DisplayThreshold => 0.5;

    /// <summary>
    /// The recipe for a budget. The default trains on 3,000 generated training scenes (3,750 in all) rather than more
    /// epochs on fewer: the detector's classes are what its training scenes' items teach it, and fresh items beat repeated
    /// ones (README, Detection). Its body, fc6 and fc7 start from the classifier that ships with Aperture
    /// (<see cref="ShippedBody"/>, 87.6% on test items), as the paper starts from an ImageNet VGG-16 it did not train;
    /// the whole budget then goes to the detector: 8 cosine epochs, about 16 minutes on 2 cores.
    /// </summary>
    public DetectorRecipe Recipe(RunBudget budget) => budget switch
    {
        RunBudget.Quick => new(2, OptimizerKind.Adam, 1e-3, new FastRcnnOptions { TestProposals = 300 }),
        RunBudget.Report => new(5, OptimizerKind.Adam, 1e-3, new FastRcnnOptions()),
        _ => new(8, OptimizerKind.Adam, 1e-3, new FastRcnnOptions(), ScheduleKind.Cosine, Patience: 3, PretrainedBody: true, Scenes: 3750),
    };

    /// <inheritdoc/>
    public TrainedDetector Train(DetectorTrainingData data, object options, TrainingOptions training, Device device, TextWriter? log)
    {
        var (detector, result) = FastRcnnTraining.Train(data.Train, data.Validation, data.ClassNames, (FastRcnnOptions)options, training, data.Proposals, device, data.Body);
        return new TrainedDetector(detector, result);
    }

    /// <inheritdoc/>
    public IObjectDetector Load(string checkpoint, ModelCard card, Device device)
    {
        var o = card.SettingsAs<FastRcnnOptions>();
        var net = new FastRcnnNetwork(card.ClassNames.Count, o.PoolSize, o.HiddenSize, o.RoiAlign, card.Widths);
        Checkpoint.LoadModule(checkpoint, net);
        net.to(device);
        return new FastRcnnDetector(net, card.ClassNames, o);
    }
}
