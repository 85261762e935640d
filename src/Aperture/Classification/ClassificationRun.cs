using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>
/// What a classification run is asked to do. Unset training values come from the model's
/// <see cref="ClassifierRecipe"/> in <see cref="Classifiers"/>.
/// </summary>
public sealed record ClassificationSettings
{
    /// <summary>Model name, one of <see cref="Classifiers.Names"/>.</summary>
    public required string Model { get; init; }

    /// <summary>Run folder: checkpoints, metrics, figures and <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of the split, initialisation, order and shown images.</summary>
    public long Seed { get; init; }

    /// <summary>Epochs, or null for the recipe's.</summary>
    public int? Epochs { get; init; }

    /// <summary>Mini-batch size, or null for the recipe's.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Learning rate, or null for the recipe's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Optimizer, or null for the recipe's.</summary>
    public OptimizerKind? Optimizer { get; init; }

    /// <summary>Schedule, or null for the recipe's.</summary>
    public ScheduleKind? Schedule { get; init; }

    /// <summary>Weight decay, or null for the recipe's.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Random crop and flip, or null for the recipe's.</summary>
    public bool? Augment { get; init; }

    /// <summary>Continue from the run folder's last checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>Train on at most this many images (0: all).</summary>
    public int Limit { get; init; }

    /// <summary>
    /// Training images held out for validation (at most a tenth of them). At the default and seed
    /// <see cref="Data.Scenes.ScenesWriter.HeldOutSeed"/> they are the items the generator's validation scenes are made of.
    /// </summary>
    public int Validation { get; init; } = Data.Scenes.ScenesWriter.HeldOutItems;

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>
    /// Checks every value (with the recipe's defaults filled in) before any data is read, and throws one
    /// <see cref="ArgumentException"/> naming the first bad option.
    /// </summary>
    public void Validate() => ClassificationRun.Options(this);
}

/// <summary>One class's test accuracy.</summary>
/// <param name="Class">Class name.</param>
/// <param name="Accuracy">Fraction of its test images classified right.</param>
public sealed record ClassAccuracy(string Class, double Accuracy);

/// <summary>What a classification run measured, as written to <c>results.json</c>.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Data">Where the images came from.</param>
/// <param name="TrainImages">Training images used.</param>
/// <param name="ValidationImages">Held-out validation images.</param>
/// <param name="TestImages">Test images scored.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Augment">Whether training batches were cropped and flipped.</param>
/// <param name="Parameters">Trainable parameters of the model.</param>
/// <param name="TestAccuracy">Accuracy of the final model on the test images.</param>
/// <param name="PerClassAccuracy">Test accuracy per class.</param>
/// <param name="BestValidationAccuracy">Best validation accuracy over the epochs.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the last epoch.</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="TrainImagesPerSecond">Training throughput over all epochs.</param>
/// <param name="Checkpoint">The last checkpoint.</param>
/// <param name="BestCheckpoint">The best checkpoint by validation accuracy.</param>
/// <param name="Figures">The run's PNGs.</param>
public sealed record ClassificationResults(string Model, string Data, long TrainImages, long ValidationImages, long TestImages, int Epochs, bool Augment,
    long Parameters, double TestAccuracy, IReadOnlyList<ClassAccuracy> PerClassAccuracy, double? BestValidationAccuracy, double? ValidationAccuracy,
    double TrainSeconds, double TrainImagesPerSecond, string? Checkpoint, string? BestCheckpoint, ClassificationFigures Figures);

/// <summary>
/// The classification run, written once for <c>aperture train classify</c> and the report's chapter: hold out a
/// validation set, train with the recipe, score the final model on the test set, draw its figures and write
/// <c>results.json</c> into the run folder.
/// </summary>
public static class ClassificationRun
{
    /// <summary>Runs it.</summary>
    /// <param name="settings">What to train and where.</param>
    /// <param name="train">All training images <c>uint8 [N, C, 28, 28]</c> (validation is held out of them); not disposed.</param>
    /// <param name="test">Test images; not disposed.</param>
    /// <param name="device">Where to train.</param>
    /// <returns>The trained run (its model serves later chapters) and its results.</returns>
    /// <exception cref="TrainingStoppedException">Training diverged; the last good checkpoint is kept.</exception>
    /// <exception cref="ArgumentException">A bad setting (checked before anything else).</exception>
    /// <exception cref="InvalidDataException">The images are not the size the model takes, or there are fewer than 2 classes.</exception>
    public static (ClassifierRun Run, ClassificationResults Results) Execute(ClassificationSettings settings, LabeledImages train, LabeledImages test, Device device)
    {
        var (options, batchSize) = Options(settings);
        CheckData(train, "training");
        CheckData(test, "test");
        if (!test.ClassNames.SequenceEqual(train.ClassNames))
            throw new InvalidDataException($"{test.Source}: the test images have classes [{string.Join(", ", test.ClassNames)}] but the training images have [{string.Join(", ", train.ClassNames)}]");
        var method = Classifiers.Find(settings.Model);
        var recipe = method.Recipe;
        bool augment = settings.Augment ?? recipe.Augment;
        using var presentedTrain = method.Presentation?.Invoke(train, settings.Seed);
        using var presentedTest = method.Presentation?.Invoke(test, settings.Seed + 1);
        if (presentedTrain is not null) settings.Log?.WriteLine($"[{settings.Model}] images: {presentedTrain.Source}");
        train = presentedTrain ?? train;
        test = presentedTest ?? test;
        var (rest, validation) = train.Split(Math.Min(settings.Validation, train.Count / 10), settings.Seed);
        using var disposeRest = rest;
        using var disposeValidation = validation;
        var subset = settings.Limit > 0 && settings.Limit < rest.Count ? rest.RandomSubset(settings.Limit, settings.Seed) : null;
        using var disposeSubset = subset;
        var used = subset ?? rest;
        settings.Log?.WriteLine($"[{settings.Model}] data: {train.Source}; training on {used.Count}, validating on {validation.Count}, testing on {test.Count}");

        var run = ClassifierTraining.Train(settings.Model, used, validation, test, options, batchSize, augment, device);
        if (!run.Training.Succeeded) throw new TrainingStoppedException(run.Training.Message);
        var figures = ClassificationFigures.Write(run, test, settings.OutputDirectory, settings.Model, settings.Seed);
        var h = run.Training.History;
        double seconds = h.Sum(e => e.Seconds);
        var perClass = run.Test.PerClassAccuracy();
        var results = new ClassificationResults(settings.Model, train.Source, used.Count, validation.Count, test.Count, run.Training.EpochsCompleted, augment,
            run.Model.parameters().Sum(p => p.numel()), run.Test.Accuracy,
            run.Spec.ClassNames.Select((c, i) => new ClassAccuracy(c, perClass[i])).ToList(),
            run.Training.BestValue, h[^1].Validation.TryGetValue("accuracy", out var va) ? va : null,
            seconds, h.Sum(e => (double)e.Examples) / Math.Max(seconds, 1e-9), run.Training.LastCheckpoint, run.Training.BestCheckpoint, figures);
        RunResults.Write(settings.OutputDirectory, results);
        return (run, results);
    }

    /// <summary>The trainer's options and the batch size for <paramref name="settings"/> (recipe defaults filled in), validated.</summary>
    /// <exception cref="ArgumentException">The first bad setting.</exception>
    internal static (TrainingOptions Options, int BatchSize) Options(ClassificationSettings settings)
    {
        var recipe = Classifiers.Find(settings.Model).Recipe;
        var optimizer = settings.Optimizer ?? recipe.Optimizer;
        var options = new TrainingOptions
        {
            Epochs = settings.Epochs ?? recipe.Epochs,
            Optimizer = optimizer,
            LearningRate = settings.LearningRate ?? recipe.LearningRate,
            WeightDecay = settings.WeightDecay ?? recipe.WeightDecay,
            Nesterov = recipe.Nesterov && optimizer == OptimizerKind.Sgd, // the recipe's SGD detail, dropped when --optimizer replaces SGD
            Schedule = settings.Schedule ?? recipe.Schedule,
            Seed = settings.Seed,
            OutputDirectory = settings.OutputDirectory,
            Resume = settings.Resume,
            Progress = settings.Progress,
            Log = settings.Log,
            TensorBoard = settings.TensorBoard,
        };
        options.Validate();
        int batchSize = settings.BatchSize ?? recipe.BatchSize;
        if (batchSize < 1) throw new ArgumentException($"--batch-size must be >= 1 (got {batchSize})");
        if (settings.Limit < 0) throw new ArgumentException($"--limit must be >= 0 (got {settings.Limit})");
        if (settings.Validation < 0) throw new ArgumentException($"--validation must be >= 0 (got {settings.Validation})");
        return (options, batchSize);
    }

    /// <summary>Refuses images the classifiers cannot take and datasets with fewer than 2 classes, before training.</summary>
    internal static void CheckData(LabeledImages data, string what)
    {
        var shape = data.Images.shape;
        if (shape.Length != 4 || shape[2] != Classifiers.InputSize || shape[3] != Classifiers.InputSize)
            throw new InvalidDataException($"{data.Source}: the {what} images are [{string.Join(", ", shape)}] but the classifiers take " +
                $"{Classifiers.InputSize}x{Classifiers.InputSize} images; resize them (an image folder given with --folder is resized for you)");
        if (data.ClassNames.Count < 2)
            throw new InvalidDataException($"{data.Source}: the {what} images have {data.ClassNames.Count} class{(data.ClassNames.Count == 1 ? "" : "es")} " +
                $"([{string.Join(", ", data.ClassNames)}]); a classifier needs at least 2");
        if (data.Count == 0)
            throw new InvalidDataException($"{data.Source}: there are no {what} images");
    }
}
