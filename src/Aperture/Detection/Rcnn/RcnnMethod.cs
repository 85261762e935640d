using Aperture.Core;
using TorchSharp;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection.Rcnn;

/// <summary>R-CNN (Girshick et al., CVPR 2014) in the <see cref="Detectors"/> registry (see <see cref="RcnnTraining"/>).</summary>
public sealed class RcnnMethod : IDetectorMethod
{
    /// <summary>The method's name in the registry and its model cards.</summary>
    public const string Id = "rcnn";

    /// <inheritdoc/>
    public string Name => Id;

    /// <inheritdoc/>
    public string Description => "R-CNN (Girshick et al. 2014): warped proposals, fine-tuned CNN features, one-vs-rest SVMs, box regression";

    /// <inheritdoc/>
    public bool UsesProposals => true;

    /// <inheritdoc/>
    public double DisplayThreshold => 0.0;

    /// <summary>
    /// The recipe for a budget. The default trains on Fast R-CNN's scenes (3,000 of 3,750 generated) from the same shipped
    /// body, so the two compare as in the papers, same data and same start: 8 cosine epochs of fine-tuning, then the SVMs
    /// mined over every proposal of every training image, about 42 minutes on 2 cores (README, Detection).
    /// </summary>
    public DetectorRecipe Recipe(RunBudget budget) => budget switch
    {
        RunBudget.Quick => new(1, OptimizerKind.Adam, 1e-3,
            new RcnnOptions { RegionsPerImage = 16, SvmImages = 60, SvmProposalsPerImage = 24, TestProposals = 300 }),
        RunBudget.Report => new(3, OptimizerKind.Adam, 1e-3, new RcnnOptions { SvmImages = 200 }),
        _ => new(8, OptimizerKind.Adam, 1e-3, new RcnnOptions(), ScheduleKind.Cosine, PretrainedBody: true, Scenes: 3750),
    };

    /// <inheritdoc/>
    public TrainedDetector Train(DetectorTrainingData data, object options, TrainingOptions training, Device device, TextWriter? log)
    {
        var (detector, stages) = RcnnTraining.Train(data.Train, data.Validation, data.ClassNames, (RcnnOptions)options, training, data.Proposals, device, log, data.Body);
        return new TrainedDetector(detector, stages.FineTuning, stages.LinearSeconds, stages);
    }

    /// <inheritdoc/>
    public IObjectDetector Load(string checkpoint, ModelCard card, Device device)
    {
        var o = card.SettingsAs<RcnnOptions>();
        int k = card.ClassNames.Count;
        var net = new RcnnNetwork(k, o.PoolSize, o.HiddenSize, card.Widths);
        var linear = new RcnnLinearModels(k, net.FeatureSize);
        Checkpoint.LoadModule(checkpoint, net);
        Checkpoint.LoadModule(checkpoint, linear, RcnnTraining.LinearModule);
        net.to(device);
        linear.to(device);
        return new RcnnDetector(net, linear, card.ClassNames, o);
    }
}
