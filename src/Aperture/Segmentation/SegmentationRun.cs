using TorchSharp;
using Aperture.Core;
using Aperture.Nn;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>What a segmentation run is asked to do; unset values come from the method's <see cref="SegmenterMethod.Recipe"/>.</summary>
public sealed record SegmentationSettings
{
    /// <summary>Method name, one of <see cref="Segmenters.Names"/>.</summary>
    public required string Method { get; init; }

    /// <summary>Run folder: checkpoints (the model), metrics, figures, <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of initialisation, order, crops and flips.</summary>
    public long Seed { get; init; }

    /// <summary>Which recipe of the method.</summary>
    public RunBudget Budget { get; init; } = RunBudget.Default;

    /// <summary>Epochs, or null for the recipe's.</summary>
    public int? Epochs { get; init; }

    /// <summary>Learning rate, or null for the recipe's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Optimizer, or null for the recipe's.</summary>
    public OptimizerKind? Optimizer { get; init; }

    /// <summary>Learning-rate schedule, or null for the recipe's.</summary>
    public ScheduleKind? Schedule { get; init; }

    /// <summary>Images per batch, or null for the recipe's.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Changes to the method's options, <c>name=value</c> (see <see cref="SegmenterRecipe.With"/>).</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>Side of the square training window; 0 takes the training images' smaller side (at most 256), rounded
    /// down to the network's input multiple.</summary>
    public int Crop { get; init; }

    /// <summary>Mirror half the training images each epoch.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Weigh the loss by median-frequency class weights (<see cref="SegmentationData.MedianFrequencyWeights"/>)
    /// instead of counting every pixel alike; null for the recipe's choice.</summary>
    public bool? BalanceClasses { get; init; }

    /// <summary>Boundary F1 tolerance in pixels.</summary>
    public double BoundaryTolerance { get; init; } = 2;

    /// <summary>Tiling of inference on large images.</summary>
    public SegmentationInference Inference { get; init; } = new();

    /// <summary>For a method trained in stages: the run folder of the method it starts from (<see cref="SegmenterMethod.StartsFrom"/>);
    /// null trains that stage first, with the same budget, in <c>&lt;out&gt;/stages/&lt;name&gt;</c>.</summary>
    public string? From { get; init; }

    /// <summary>Continue from the run folder's last checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Held-out images drawn in the figure.</summary>
    public int Examples { get; init; } = 6;
}

/// <summary>One class's intersection over union on the held-out images (null where undefined).</summary>
/// <param name="Class">Class name (<c>background</c> first).</param>
/// <param name="Iou">IU.</param>
public sealed record ClassIoU(string Class, double? Iou);

/// <summary>What a segmentation run measured, as written to <c>results.json</c>.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Data">Dataset folder.</param>
/// <param name="TrainImages">Training images.</param>
/// <param name="ValidationImages">Validation images.</param>
/// <param name="TestImages">Held-out images scored.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="StartedFrom">The run folder of the stage this one started from, or null.</param>
/// <param name="PixelAccuracy">Pixel accuracy.</param>
/// <param name="MeanAccuracy">Mean class accuracy.</param>
/// <param name="MeanIoU">Mean IU.</param>
/// <param name="FrequencyWeightedIoU">Frequency-weighted IU.</param>
/// <param name="BoundaryF1">Boundary F1 at <paramref name="BoundaryTolerance"/> pixels.</param>
/// <param name="BoundaryTolerance">Tolerance in pixels.</param>
/// <param name="ReceptiveField">Receptive field of one output score, in pixels.</param>
/// <param name="PerClassIoU">IU per class.</param>
/// <param name="MsPerImage">Inference time per held-out image.</param>
/// <param name="TrainSeconds">Training time (this stage).</param>
/// <param name="TrainImagesPerSecond">Training throughput of the last epoch.</param>
/// <param name="Checkpoint">The model file that was scored.</param>
/// <param name="Figures">PNGs: held-out images, truth, prediction.</param>
public sealed record SegmentationResults(string Method, string Data, int TrainImages, int ValidationImages, int TestImages, int Epochs, string? StartedFrom,
    double PixelAccuracy, double MeanAccuracy, double MeanIoU, double FrequencyWeightedIoU, double BoundaryF1, double BoundaryTolerance, int ReceptiveField,
    IReadOnlyList<ClassIoU> PerClassIoU, double MsPerImage, double TrainSeconds, double TrainImagesPerSecond, string Checkpoint, IReadOnlyList<string> Figures);

/// <summary>A finished segmentation run: the network as loaded back from its run folder, its score and results.</summary>
/// <param name="Network">The trained network (eval mode) — the one scored.</param>
/// <param name="Card">Its model card.</param>
/// <param name="Training">The trainer's result.</param>
/// <param name="Score">Scores on the held-out images.</param>
/// <param name="Predictions">Predicted labels <c>uint8 [H, W]</c> of every held-out image (the caller disposes them).</param>
/// <param name="Results">The results file's content.</param>
public sealed record SegmentationOutcome(nn.Module<Tensor, Tensor> Network, ModelCard Card, TrainingResult Training, SegmentationScore Score,
    IReadOnlyList<Tensor> Predictions, SegmentationResults Results) : IDisposable
{
    /// <summary>Disposes the predictions and the network.</summary>
    public void Dispose()
    {
        foreach (var p in Predictions) p.Dispose();
        Network.Dispose();
    }
}

/// <summary>
/// The segmentation run, written once for <c>aperture train segment</c> and the report's chapter: build a registered
/// method's network (initialised from its trained coarser stage when it has one, training that stage first if no run
/// folder of it is given), train it with the <see cref="Trainer{TBatch}"/> and <see cref="SegmentationTraining"/> on
/// <see cref="SegmentationBatches"/>, load it back from the run folder (what is scored is what is saved), score it on the
/// held-out images with every metric (<see cref="SegmentationEvaluation"/>), draw image | truth | prediction, write
/// <c>results.json</c>.
/// </summary>
public static class SegmentationRun
{
    /// <summary>Runs it.</summary>
    /// <param name="settings">Method, folder, budget and overrides.</param>
    /// <param name="data">Images and masks.</param>
    /// <param name="device">Where to train.</param>
    /// <exception cref="TrainingStoppedException">Training diverged; the last good checkpoint is kept.</exception>
    /// <exception cref="ArgumentException">Unknown method or option.</exception>
    public static SegmentationOutcome Execute(SegmentationSettings settings, SegmentationData data, Device device)
    {
        var method = Segmenters.Find(settings.Method);
        var recipe = method.Recipe(settings.Budget).With(settings.Set);
        var training = new TrainingOptions
        {
            Epochs = settings.Epochs ?? recipe.Epochs, Optimizer = settings.Optimizer ?? recipe.Optimizer, LearningRate = settings.LearningRate ?? recipe.LearningRate,
            Schedule = settings.Schedule ?? recipe.Schedule,
            Seed = settings.Seed, OutputDirectory = settings.OutputDirectory, Resume = settings.Resume, Progress = settings.Progress, Log = settings.Log,
            TensorBoard = settings.TensorBoard, Card = Segmenters.Card(method.Name, data.ClassNames, data.Mean, data.Std, recipe.Options),
        };
        training.Validate();
        int batchSize = settings.BatchSize ?? recipe.BatchSize;
        if (batchSize < 1) throw new ArgumentException($"batch size {batchSize} must be >= 1");

        string? startedFrom = null;
        Core.Torch.Seed(settings.Seed);
        var network = method.Build(data.Classes, recipe.Options);
        if (method.StartsFrom is string previous && !settings.Resume)
        {
            startedFrom = settings.From ?? TrainStage(previous, settings, data, device);
            var (coarser, card, _) = Segmenters.Load(startedFrom, device);
            if (card.Method != previous)
                throw new ArgumentException($"{method.Name} starts from a trained {previous}, but {startedFrom} holds a {card.Method}");
            method.InitialiseFrom?.Invoke(network, coarser);
            coarser.Dispose();
            settings.Log?.WriteLine($"[{method.Name}] initialised from {startedFrom}");
        }
        network.to(device);
        var seg = (ISegmentationNetwork)network;
        int m = seg.InputMultiple;
        int crop = settings.Crop > 0 ? settings.Crop : Math.Min(256, data.Train.Min(t => Math.Min(t.Height, t.Width)));
        crop = Math.Max(m, crop / m * m);

        settings.Log?.WriteLine($"[{method.Name}] training for {training.Epochs} epochs on {data.Train.Count} images ({crop}x{crop} windows, batches of {batchSize})");
        var weights = (settings.BalanceClasses ?? recipe.BalanceClasses) ? SegmentationData.MedianFrequencyWeights(data.Train, data.Classes) : null;
        if (weights is not null) settings.Log?.WriteLine($"[{method.Name}] class weights {string.Join(" ", weights.Select(w => w.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        var task = new SegmentationTraining(network, data.Classes, training, data.Validation.Count > 0, weights);
        var trainer = new Trainer<Data.SampleBatch>(task, training);
        var result = trainer.Fit(
            epoch => SegmentationBatches.Epoch(data.Train, batchSize, crop, settings.Flip, data.Mean, data.Std, settings.Seed, epoch),
            data.Validation.Count == 0 ? null : () => SegmentationBatches.Epoch(data.Validation, batchSize, crop, false, data.Mean, data.Std, settings.Seed, 0),
            SegmentationBatches.PerEpoch(data.Train.Count, batchSize));
        if (!result.Succeeded) throw new TrainingStoppedException(result.Message);
        network.Dispose();

        string checkpoint = RunFolder.Checkpoint(settings.OutputDirectory);
        var (trained, trainedCard, _) = Segmenters.Load(checkpoint, device);
        var (score, predictions) = SegmentationEvaluation.Evaluate(trained, data.Test, data.Classes, trainedCard.Mean, trainedCard.Std,
            settings.BoundaryTolerance, settings.Inference);
        string figure = SegmentationFigures.Write(Path.Combine(settings.OutputDirectory, "segmentations.png"), data.Test, [predictions], settings.Examples);
        var classNames = new[] { "background" }.Concat(data.ClassNames).ToList();
        var results = new SegmentationResults(method.Name, Path.GetFullPath(data.Root), data.Train.Count, data.Validation.Count, data.Test.Count,
            result.EpochsCompleted, startedFrom is null ? null : Path.GetFullPath(startedFrom),
            score.PixelAccuracy, score.MeanAccuracy, score.MeanIoU, score.FrequencyWeightedIoU, score.BoundaryF1, score.BoundaryTolerance,
            ((ISegmentationNetwork)trained).OutputField().Size,
            score.PerClassIoU.Select((v, i) => new ClassIoU(classNames[i], v)).ToList(), score.MsPerImage,
            result.History.Sum(h => h.Seconds), result.History.Count > 0 ? result.History[^1].ImagesPerSecond : 0, Path.GetFullPath(checkpoint), [figure]);
        RunResults.Write(settings.OutputDirectory, results);
        settings.Log?.WriteLine($"[{method.Name}] pixel acc {score.PixelAccuracy:F3}, mean IU {score.MeanIoU:F3}, boundary F1 {score.BoundaryF1:F3}, {score.MsPerImage:F1} ms/image");
        return new SegmentationOutcome(trained, trainedCard, result, score, predictions, results);
    }

    /// <summary>Trains the stage a method starts from, with the same budget and seed, in <c>&lt;out&gt;/stages/&lt;name&gt;</c>; returns its run folder.</summary>
    private static string TrainStage(string previous, SegmentationSettings settings, SegmentationData data, Device device)
    {
        string dir = Path.Combine(settings.OutputDirectory, "stages", previous);
        settings.Log?.WriteLine($"[{settings.Method}] training its first stage, {previous}, in {dir}");
        using var stage = Execute(settings with { Method = previous, OutputDirectory = dir, Set = [], From = null, Epochs = null, LearningRate = null, Optimizer = null, Schedule = null }, data, device);
        return dir;
    }
}
