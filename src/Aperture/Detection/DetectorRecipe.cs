using Aperture.Detection.FastRcnn;
using Aperture.Detection.Rcnn;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>How one detector is trained: its method settings and the trainer's defaults for it.</summary>
public sealed record DetectorRecipe
{
    /// <summary>Method: <c>sliding</c>, <c>rcnn</c> or <c>fast-rcnn</c>.</summary>
    public required string Method { get; init; }

    /// <summary>Default epochs (fine-tuning epochs for R-CNN).</summary>
    public int Epochs { get; init; }

    /// <summary>Default optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Default learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Sliding-window settings.</summary>
    public SlidingWindowOptions Sliding { get; init; } = new();

    /// <summary>R-CNN settings.</summary>
    public RcnnOptions Rcnn { get; init; } = new();

    /// <summary>Fast R-CNN settings.</summary>
    public FastRcnnOptions FastRcnn { get; init; } = new();

    /// <summary>The defaults of a method (8 epochs for sliding windows and Fast R-CNN, 2 fine-tuning epochs for R-CNN, Adam 1e-3).</summary>
    public static DetectorRecipe For(string method) => method switch
    {
        "sliding" => new DetectorRecipe { Method = method, Epochs = 8 },
        "rcnn" => new DetectorRecipe { Method = method, Epochs = 2 },
        "fast-rcnn" => new DetectorRecipe { Method = method, Epochs = 8 },
        _ => throw new ArgumentException($"detection method '{method}' is not one of: {string.Join(", ", DetectorSpec.Methods)}"),
    };

    /// <summary>Whether the method needs object proposals.</summary>
    public bool UsesProposals => Method != "sliding";

    /// <summary>Trains the method; returns the detector, the trainer's result and (for R-CNN) what its stages did.</summary>
    /// <param name="train">Training images (with proposals for R-CNN and Fast R-CNN).</param>
    /// <param name="validation">Validation images, or null.</param>
    /// <param name="classNames">Object class names.</param>
    /// <param name="training">Trainer settings (epochs, optimizer, output folder, seed...).</param>
    /// <param name="proposals">Proposal source name stored with the model.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines, or null.</param>
    public (IObjectDetector Detector, TrainingResult Result, RcnnStages? Stages) Train(IReadOnlyList<DetectionImage> train, IReadOnlyList<DetectionImage>? validation,
        IReadOnlyList<string> classNames, TrainingOptions training, string? proposals, Device device, TextWriter? log = null)
    {
        switch (Method)
        {
            case "sliding":
            {
                var (d, r) = SlidingWindowDetector.Train(train, validation, classNames, Sliding, training, device);
                return (d, r, null);
            }
            case "rcnn":
            {
                var (d, s) = RcnnTraining.Train(train, validation, classNames, Rcnn, training, proposals, device, log);
                return (d, s.FineTuning, s);
            }
            default:
            {
                var (d, r) = FastRcnnTraining.Train(train, validation, classNames, FastRcnn, training, proposals, device);
                return (d, r, null);
            }
        }
    }
}
