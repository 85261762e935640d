using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>What a GAN run is asked to do (<c>aperture train gan</c>).</summary>
public sealed record GanSettings : GenerativeRunSettings
{
    /// <summary>The method's options with <see cref="GenerativeRunSettings.Set"/> applied, validated; and the trainer's options. Checked
    /// before any data is read.</summary>
    /// <exception cref="ArgumentException">The first bad setting.</exception>
    public (GanOptions Gan, TrainingOptions Training) Plan()
    {
        var method = Gans.Find(Model);
        var gan = Apply(method.DefaultOptions, Set);
        if (gan.Conditional != method.Conditional)
            throw new ArgumentException($"--set conditional={gan.Conditional.ToString().ToLowerInvariant()} contradicts --model {method.Name}; use --model {(gan.Conditional ? "cgan" : "dcgan")}");
        if (Limit < 0) throw new ArgumentException($"--limit must be >= 0 (got {Limit})");
        var training = new TrainingOptions
        {
            Epochs = Epochs, Optimizer = OptimizerKind.Adam, LearningRate = gan.LearningRate, Beta1 = gan.Beta1, Beta2 = 0.999,
            Seed = Seed, OutputDirectory = OutputDirectory, Resume = Resume, Progress = Progress, Log = Log,
            TensorBoard = TensorBoard, LogEvery = LogEvery,
        };
        training.Validate();
        return (gan, training);
    }

    /// <summary>Applies <c>name=value</c> assignments to a <see cref="GanOptions"/> (JSON values; bare words as strings).</summary>
    /// <exception cref="ArgumentException">A malformed assignment, an unknown name (the message lists them), a value of the wrong type, or a bad value.</exception>
    public static GanOptions Apply(GanOptions options, IEnumerable<string> assignments) =>
        (GanOptions)OptionAssignments.Apply(options, assignments);
}

/// <summary>What a GAN run measured, as written to <c>results.json</c>.</summary>
/// <param name="Model">Method name.</param>
/// <param name="Data">Where the images came from.</param>
/// <param name="TrainImages">Training images used.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Options">The GAN's options.</param>
/// <param name="GeneratorParameters">Trainable parameters of the generator.</param>
/// <param name="DiscriminatorParameters">Trainable parameters of the discriminator.</param>
/// <param name="Last">The last epoch's losses, discriminator outputs and sample diversity.</param>
/// <param name="Health">healthy, diverged or collapsed.</param>
/// <param name="HealthMessage">The detector's sentence.</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="TrainImagesPerSecond">Training throughput (real images per second, each with one D and one G step).</param>
/// <param name="Checkpoint">The last checkpoint (what <c>aperture generate</c> samples from).</param>
/// <param name="Figures">The final PNGs: samples, linear and spherical interpolation, one row per class (conditional).</param>
/// <param name="EpochGrids">The fixed-noise grid of every epoch.</param>
public sealed record GanResults(string Model, string Data, long TrainImages, int Epochs, GanOptions Options, long GeneratorParameters,
    long DiscriminatorParameters, GanEpochStats? Last, string Health, string HealthMessage, double TrainSeconds, double TrainImagesPerSecond,
    string? Checkpoint, IReadOnlyList<string> Figures, IReadOnlyList<string> EpochGrids);

/// <summary>
/// The GAN run, written once for <c>aperture train gan</c> and the report: train the two networks with the
/// <see cref="Trainer{TBatch}"/> (both optimizers and the moving average checkpointed, so <c>--resume</c> continues
/// exactly), watch every epoch (<see cref="GanMonitor"/>: fixed-noise grid, health), then draw the final figures and
/// write <c>results.json</c>. A diverged or collapsed run completes and says so in its results and log; a NaN stops it.
/// </summary>
public static class GanRun
{
    /// <summary>Pixel mean and std that map [0, 1] to the generator's [-1, 1].</summary>
    public const float PixelMean = 0.5f, PixelStd = 0.5f;

    /// <summary>Runs it.</summary>
    /// <param name="settings">What to train and where.</param>
    /// <param name="train">Training images <c>uint8 [N, 1, 28, 28]</c> with labels; not disposed.</param>
    /// <param name="device">Where to train.</param>
    /// <returns>The results (also in <c>results.json</c>) and the task holding the trained networks.</returns>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    /// <exception cref="InvalidDataException">The images are not 1x28x28, or (conditional) fewer than 2 classes.</exception>
    /// <exception cref="TrainingStoppedException">A loss became NaN/inf; the last good checkpoint is kept.</exception>
    public static (GanResults Results, GanTask Task) Execute(GanSettings settings, LabeledImages train, Device device)
    {
        var (options, training) = settings.Plan();
        var method = Gans.Find(settings.Model);
        // A resumed run continues with the options it was started with (batch size, stabilisers), not today's defaults;
        // --set's changes apply on top.
        if (ResumedOptions.From(settings.OutputDirectory, settings.Resume, ModelFamily.Gan, method.Name, typeof(GanOptions)) is GanOptions saved)
        {
            options = GanSettings.Apply(saved, settings.Set);
            training = training with { LearningRate = options.LearningRate, Beta1 = options.Beta1 };
        }
        var shape = train.Images.shape;
        if (shape.Length != 4 || shape[1] != 1 || shape[2] != 28 || shape[3] != 28)
            throw new InvalidDataException($"{train.Source}: the GANs generate 1x28x28 images, but the training images are [{string.Join(", ", shape)}]");
        if (train.Count < options.BatchSize)
            throw new InvalidDataException($"{train.Source}: {train.Count} training images, fewer than one batch of {options.BatchSize}");
        int classes = train.ClassNames.Count;
        if (options.Conditional && classes < 2) throw new InvalidDataException($"{train.Source}: a conditional GAN needs at least 2 classes (got {classes})");

        var subset = settings.Limit > 0 && settings.Limit < train.Count ? train.RandomSubset(settings.Limit, settings.Seed) : null;
        using var disposeSubset = subset;
        var used = subset ?? train;
        settings.Log?.WriteLine($"[{method.Name}] data: {train.Source}; training on {used.Count} images, batch {options.BatchSize}, {settings.Epochs} epochs");

        Torch.Seed(settings.Seed);
        var generator = new DcganGenerator(options, classes);
        var discriminator = new DcganDiscriminator(options, classes);
        var average = options.EmaDecay > 0 ? new GeneratorAverage(options, classes, generator) : null;
        generator.to(device);
        discriminator.to(device);
        average?.to(device);
        var card = new ModelCard
        {
            Family = ModelFamily.Gan, Method = method.Name, ClassNames = train.ClassNames.ToList(), InChannels = 1, InputSize = 28,
            Mean = [PixelMean], Std = [PixelStd], Widths = [options.Width, 2 * options.Width], Settings = ModelCard.SettingsOf(options),
        };
        training = training with { Card = card };
        var task = new GanTask(generator, discriminator, average, options, training);
        var trainer = new Trainer<Batch>(task, training);
        int resumeAfter = settings.Resume && File.Exists(trainer.LastCheckpointPath) ? Checkpoint.ReadInfo(trainer.LastCheckpointPath).Epoch : 0;

        Tensor real;
        using (var scope = NewDisposeScope())
        {
            var pick = used.RandomSubset(Math.Min(256, used.Count), settings.Seed + 1);
            real = pick.Images.to(ScalarType.Float32).div(255).DetachFromDisposeScope();
            pick.Dispose();
        }
        using var disposeReal = real;
        var monitor = new GanMonitor(task, train.ClassNames, real, settings.OutputDirectory, settings.Seed, settings.Log ?? Console.Out, resumeAfter);
        var loader = new DataLoader(used, options.BatchSize, shuffle: true, seed: settings.Seed, dropLast: true,
            transform: new Normalize(PixelMean, PixelStd), device: device);
        var result = trainer.Fit(e => monitor.Watch(e, loader.Epoch(e)), null, loader.BatchesPerEpoch);
        if (!result.Succeeded) throw new TrainingStoppedException(result.Message);

        var sampler = new GanSampler(task.SampleGenerator, train.ClassNames);
        string dir = settings.OutputDirectory;
        var figures = new List<string>
        {
            sampler.WriteSamples(Path.Combine(dir, "samples.png"), options.Conditional ? 10 * classes : 100, settings.Seed),
            sampler.WriteInterpolation(Path.Combine(dir, "interpolation-linear.png"), 8, 10, spherical: false, settings.Seed),
            sampler.WriteInterpolation(Path.Combine(dir, "interpolation-spherical.png"), 8, 10, spherical: true, settings.Seed),
        };
        if (options.Conditional) figures.Add(sampler.WriteClassRows(Path.Combine(dir, "classes.png"), 10, settings.Seed));
        var verdict = monitor.Verdict;
        var h = result.History;
        double seconds = h.Sum(e => e.Seconds);
        var results = new GanResults(method.Name, train.Source, used.Count, result.EpochsCompleted, options,
            generator.parameters().Sum(p => p.numel()), discriminator.parameters().Sum(p => p.numel()),
            monitor.History.Count > 0 ? monitor.History[^1] : null, verdict.Status.ToString().ToLowerInvariant(), verdict.Message,
            seconds, h.Sum(e => (double)e.Examples) / Math.Max(seconds, 1e-9), result.LastCheckpoint, figures,
            monitor.History.Select(s => monitor.GridPath(s.Epoch)).ToList());
        RunResults.Write(dir, results);
        return (results, task);
    }
}
