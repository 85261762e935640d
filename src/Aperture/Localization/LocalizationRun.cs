using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>What a weakly supervised localization run is asked to do.</summary>
public sealed record LocalizationSettings
{
    /// <summary>Run folder: checkpoints (the model), metrics, figures, <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of the scenes, initialisation and order.</summary>
    public long Seed { get; init; }

    /// <summary>Scenes, network and batch settings (default: <see cref="WeaklySupervisedOptions"/>'s, or its <c>Quick</c> with <see cref="Quick"/>).</summary>
    public WeaklySupervisedOptions? Options { get; init; }

    /// <summary>The short experiment: fewer scenes, a narrower network, <see cref="QuickEpochs"/> epochs.</summary>
    public bool Quick { get; init; }

    /// <summary>Epochs, or null for <see cref="FullEpochs"/> (<see cref="QuickEpochs"/> when quick).</summary>
    public int? Epochs { get; init; }

    /// <summary>AdamW learning rate (cosine schedule, weight decay 1e-4).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>A trained Fashion-MNIST VGG-GAP to start from (as the CAM paper starts from an ImageNet classifier); its widths are used.</summary>
    public VggGap? Pretrained { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Epochs of the full experiment.</summary>
    public const int FullEpochs = 12;

    /// <summary>Epochs of the quick experiment.</summary>
    public const int QuickEpochs = 6;
}

/// <summary>Localization accuracy at IoU ≥ 0.5 of the CAM box and of the two baselines.</summary>
/// <param name="Cam">CAM box (20% rule).</param>
/// <param name="Centre">Centre box (half the side).</param>
/// <param name="FullImage">The whole image.</param>
/// <param name="Count">Scenes (top-1) or (scene, class) pairs (known class) counted.</param>
public sealed record LocalizationAccuracy(double Cam, double Centre, double FullImage, int Count)
{
    /// <summary>The accuracies of a score.</summary>
    public static LocalizationAccuracy Of(LocalizationScore s) => new(s.Accuracy, s.CentreAccuracy, s.FullImageAccuracy, s.Count);
}

/// <summary>What a localization run measured, as written to <c>results.json</c>.</summary>
/// <param name="Data">Where the Fashion-MNIST items came from.</param>
/// <param name="TrainScenes">Training scenes.</param>
/// <param name="TestScenes">Test scenes (test items only).</param>
/// <param name="ItemsPerScene">Items per scene, min–max.</param>
/// <param name="InputSize">Side the scenes are shrunk to.</param>
/// <param name="Widths">VGG-GAP stage widths.</param>
/// <param name="Pretrained">Whether the network started from a Fashion-MNIST classifier.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="ClassificationTop1">Fraction of test scenes whose top class is present.</param>
/// <param name="Top1Localization">The paper's setting: the top class's box must match a true box of that class.</param>
/// <param name="KnownClassLocalization">Each class present, its own CAM box.</param>
/// <param name="SceneSeconds">Time making scenes.</param>
/// <param name="TrainSeconds">Time training.</param>
/// <param name="Checkpoint">The model file.</param>
/// <param name="Figures">PNGs.</param>
public sealed record LocalizationResults(string Data, int TrainScenes, int TestScenes, string ItemsPerScene, int InputSize, IReadOnlyList<int> Widths, bool Pretrained,
    int Epochs, double ClassificationTop1, LocalizationAccuracy Top1Localization, LocalizationAccuracy KnownClassLocalization, double SceneSeconds,
    double TrainSeconds, string? Checkpoint, IReadOnlyList<string> Figures);

/// <summary>
/// The weakly supervised localization run (Zhou et al. 2016), written once for <c>aperture localize</c> and the report's
/// chapter: train VGG-GAP on generated scenes with image-level labels, score CAM boxes on test scenes against the
/// baselines, draw the figures and write <c>results.json</c>.
/// </summary>
public static class LocalizationRun
{
    /// <summary>Runs it.</summary>
    /// <param name="settings">What to train and where.</param>
    /// <param name="trainItems">Fashion-MNIST training images (items of training and validation scenes).</param>
    /// <param name="testItems">Fashion-MNIST test images (items of test scenes).</param>
    /// <param name="device">Where to train.</param>
    /// <exception cref="TrainingStoppedException">Training diverged; the last good checkpoint is kept.</exception>
    public static (WeaklySupervisedRun Run, LocalizationResults Results) Execute(LocalizationSettings settings, LabeledImages trainItems, LabeledImages testItems,
        Device device)
    {
        var options = settings.Options ?? (settings.Quick ? WeaklySupervisedOptions.Quick : new WeaklySupervisedOptions());
        if (settings.Pretrained is { } p) options = options with { Widths = p.Widths.ToArray() };
        var training = new TrainingOptions
        {
            Epochs = settings.Epochs ?? (settings.Quick ? LocalizationSettings.QuickEpochs : LocalizationSettings.FullEpochs),
            Optimizer = OptimizerKind.AdamW, LearningRate = settings.LearningRate, WeightDecay = 1e-4, Schedule = ScheduleKind.Cosine,
            Seed = settings.Seed, OutputDirectory = settings.OutputDirectory, TensorBoard = false, Progress = settings.Progress, Log = settings.Log,
        };
        var run = WeaklySupervisedLocalization.Train(trainItems, testItems, options, training, device, settings.Log, settings.Pretrained);
        if (run.Test is not { } test) throw new TrainingStoppedException(run.Training.Message);
        var figures = WeaklySupervisedFigures.Write(run, settings.OutputDirectory);
        var results = new LocalizationResults(trainItems.Source, options.TrainScenes, options.TestScenes, $"{options.Scenes.MinItems}-{options.Scenes.MaxItems}",
            options.InputSize, options.Widths, settings.Pretrained is not null, run.Training.EpochsCompleted, test.ClassificationTop1,
            LocalizationAccuracy.Of(test.TopClass), LocalizationAccuracy.Of(test.KnownClass), run.SceneSeconds, run.TrainSeconds,
            run.Training.BestCheckpoint ?? run.Training.LastCheckpoint, figures);
        RunResults.Write(settings.OutputDirectory, results);
        return (run, results);
    }
}
