using TorchSharp;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Generative.AutoEncoders;
using Aperture.Generative.ContextEncoders;
using Aperture.Generative.Gan;
using Aperture.Imaging;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>What a feature-learner run is asked to do (<c>aperture train autoencoder</c>, <c>train context-encoder</c>).</summary>
public sealed record FeatureLearnerSettings : GenerativeRunSettings
{
    /// <summary>Training images held out to pick the best epoch.</summary>
    public int Validation { get; init; } = 5000;

    /// <summary>Test images scored at the end (reconstruction error; inpainting against the baselines).</summary>
    public int TestImages { get; init; } = 2000;

    /// <summary>The method, its options with <see cref="GenerativeRunSettings.Set"/> applied (validated) and the trainer's options; checked before any data is read.</summary>
    /// <exception cref="ArgumentException">The first bad setting.</exception>
    public (FeatureLearner Method, IValidatable Options, TrainingOptions Training) Plan()
    {
        var method = FeatureLearners.Find(Model);
        // A resumed run continues with its card's options, --set's changes on top.
        var start = ResumedOptions.From(OutputDirectory, Resume, ModelFamily.Encoder, method.Name, method.OptionsType) ?? method.DefaultOptions;
        var options = (IValidatable)OptionAssignments.Apply(start, Set);
        if (Limit < 0 || Validation < 1 || TestImages < 1)
            throw new ArgumentException($"--limit must be >= 0, --validation and --test-images >= 1 (got {Limit}, {Validation}, {TestImages})");
        var (lr, beta1) = options switch
        {
            AutoEncoderOptions a => (a.LearningRate, 0.9),
            ContextEncoderOptions c => (c.LearningRate, c.Beta1),
            _ => throw new InvalidOperationException($"no recipe for {options.GetType().Name}"),
        };
        var training = new TrainingOptions
        {
            Epochs = Epochs, Optimizer = OptimizerKind.Adam, LearningRate = lr, Beta1 = beta1, Beta2 = 0.999, Momentum = 0,
            Seed = Seed, OutputDirectory = OutputDirectory, Resume = Resume, Progress = Progress, Log = Log, TensorBoard = TensorBoard, LogEvery = LogEvery,
        };
        training.Validate();
        return (method, options, training);
    }
}

/// <summary>What a feature-learner run measured, as written to <c>results.json</c>.</summary>
/// <param name="Model">Method name.</param>
/// <param name="Data">Where the images came from.</param>
/// <param name="TrainImages">Training images used.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Options">The method's options.</param>
/// <param name="Parameters">Trainable parameters (the discriminator's counted apart).</param>
/// <param name="DiscriminatorParameters">The discriminator's, 0 when there is none.</param>
/// <param name="BestMetric">The held-out metric that picked the best epoch.</param>
/// <param name="BestEpoch">That epoch.</param>
/// <param name="BestValue">Its value.</param>
/// <param name="TestReconstructionMse">Auto-encoders: mean squared error of clean test reconstructions on [0, 1] pixels; else null.</param>
/// <param name="Inpainting">Context encoders: table 1 against the baselines on test images; else null.</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="TrainImagesPerSecond">Training throughput.</param>
/// <param name="Checkpoint">The best checkpoint (what <c>transfer</c> and <c>inpaint</c> use).</param>
/// <param name="Figures">PNGs.</param>
public sealed record FeatureLearnerResults(string Model, string Data, long TrainImages, int Epochs, object Options, long Parameters,
    long DiscriminatorParameters, string BestMetric, int? BestEpoch, double? BestValue, double? TestReconstructionMse, InpaintingTable? Inpainting,
    double TrainSeconds, double TrainImagesPerSecond, string? Checkpoint, IReadOnlyList<string> Figures);

/// <summary>
/// The feature-learner run, written once for the CLI verbs and the report: train the auto-encoder or context encoder
/// with the <see cref="Trainer{TBatch}"/> (checkpoints, <c>--resume</c> with every network and optimizer, metrics.jsonl,
/// model card) on Fashion-MNIST in [-1, 1], pick the best epoch on held-out training images, then score test images —
/// reconstruction error, or inpainting against the mean-image and nearest-neighbour baselines — and draw the figures.
/// </summary>
public static class FeatureLearnerRun
{
    /// <summary>Runs it.</summary>
    /// <param name="settings">What to train and where.</param>
    /// <param name="train">Training images <c>uint8 [N, 1, 28, 28]</c>; not disposed.</param>
    /// <param name="test">Test images; not disposed.</param>
    /// <param name="device">Where to train.</param>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    /// <exception cref="InvalidDataException">The images are not 1x28x28, or too few.</exception>
    /// <exception cref="TrainingStoppedException">A loss became NaN/inf; the last good checkpoint is kept.</exception>
    public static FeatureLearnerResults Execute(FeatureLearnerSettings settings, LabeledImages train, LabeledImages test, Device device)
    {
        var (method, options, training) = settings.Plan();
        foreach (var set in new[] { train, test })
        {
            var s = set.Images.shape;
            if (s.Length != 4 || s[1] != 1 || s[2] != 28 || s[3] != 28)
                throw new InvalidDataException($"{set.Source}: the feature learners take 1x28x28 images, but these are [{string.Join(", ", s)}]");
        }
        if (settings.Validation >= train.Count) throw new InvalidDataException($"{train.Source}: cannot hold out {settings.Validation} of {train.Count} training images");
        var (rest, held) = train.Split(settings.Validation, settings.Seed);
        using var disposeRest = rest;
        using var disposeHeld = held;
        using var subset = settings.Limit > 0 && settings.Limit < rest.Count ? rest.RandomSubset(settings.Limit, settings.Seed) : null;
        var used = subset ?? rest;
        int batchSize = options is AutoEncoderOptions ao ? ao.BatchSize : ((ContextEncoderOptions)options).BatchSize;
        if (used.Count < batchSize) throw new InvalidDataException($"{train.Source}: {used.Count} training images, fewer than one batch of {batchSize}");
        settings.Log?.WriteLine($"[{method.Name}] data: {train.Source}; training on {used.Count} images ({held.Count} held out), batch {batchSize}, {settings.Epochs} epochs");

        Torch.Seed(settings.Seed);
        ITrainingTask<Batch> task;
        nn.Module network;
        DcganDiscriminator? discriminator = null;
        int width;
        if (options is AutoEncoderOptions a)
        {
            var model = new ConvAutoEncoder(a);
            model.to(device);
            task = new AutoEncoderTask(model, a, training);
            (network, width) = (model, a.Width);
        }
        else
        {
            var c = (ContextEncoderOptions)options;
            var model = new ContextEncoderNetwork(c);
            model.to(device);
            if (c.Adversarial)
            {
                discriminator = new DcganDiscriminator(new GanOptions { Width = c.DiscriminatorWidth }, 0);
                discriminator.to(device);
            }
            task = new ContextEncoderTask(model, discriminator, c, training);
            (network, width) = (model, c.Width);
        }
        training = training with { Card = FeatureLearners.Card(method, train.ClassNames, width, options) };
        // The tasks built their optimizers from the same Adam settings; the card only goes into checkpoints.
        var trainer = new Trainer<Batch>(task, training);
        var normalize = new Normalize(GanRun.PixelMean, GanRun.PixelStd);
        var loader = new DataLoader(used, batchSize, shuffle: true, seed: settings.Seed, dropLast: true, transform: normalize, device: device);
        var validation = new DataLoader(held, 500, shuffle: false, transform: normalize, device: device);
        var result = trainer.Fit(loader.Epoch, () => validation.Epoch(0), loader.BatchesPerEpoch);
        if (!result.Succeeded) throw new TrainingStoppedException(result.Message);
        string best = result.BestCheckpoint ?? result.LastCheckpoint!;
        Checkpoint.LoadModule(best, network);
        network.eval();

        string dir = settings.OutputDirectory;
        var figures = new List<string>();
        double? mse = null;
        InpaintingTable? inpainting = null;
        if (network is ConvAutoEncoder ae)
        {
            var aeOptions = (AutoEncoderOptions)options;
            mse = ReconstructionError(ae, test, settings.TestImages);
            figures.Add(WriteReconstructions(Path.Combine(dir, "reconstructions.png"), ae, aeOptions, test, settings.Seed));
        }
        else
        {
            var ce = (ContextEncoderNetwork)network;
            var c = (ContextEncoderOptions)options;
            var (table, fills) = InpaintingEvaluation.Run(ce, c.Mask, used, test, settings.TestImages, method.Name);
            using (fills) figures.Add(InpaintingEvaluation.WriteFigure(Path.Combine(dir, "inpainting.png"), fills));
            inpainting = table;
        }
        var h = result.History;
        double seconds = h.Sum(e => e.Seconds);
        var results = new FeatureLearnerResults(method.Name, train.Source, used.Count, result.EpochsCompleted, options,
            network.parameters().Sum(p => p.numel()), discriminator?.parameters().Sum(p => p.numel()) ?? 0, task.BestBy.Metric,
            result.BestEpoch, result.BestValue, mse, inpainting, seconds, h.Sum(e => (double)e.Examples) / Math.Max(seconds, 1e-9), best, figures);
        RunResults.Write(dir, results);
        return results;
    }

    /// <summary>Mean squared error on [0, 1] pixels of the clean reconstructions of the first <paramref name="count"/> test images.</summary>
    public static double ReconstructionError(ConvAutoEncoder model, LabeledImages test, int count)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var device = model.parameters().First().device;
        long n = Math.Min(count, test.Count);
        double sum = 0;
        for (long i = 0; i < n; i += 500)
        {
            using var block = NewDisposeScope();
            var x = test.Images.narrow(0, i, Math.Min(500, n - i)).to(device).to(ScalarType.Float32).div(255);
            var y = model.forward(x.mul(2).sub(1)).add(1).div(2);
            sum += (y - x).square().sum().ToDouble();
        }
        return sum / (n * 28 * 28);
    }

    /// <summary>The reconstruction figure: rows of test images, their corrupted versions (denoising only), reconstructions.</summary>
    public static string WriteReconstructions(string path, ConvAutoEncoder model, AutoEncoderOptions options, LabeledImages test, long seed, int columns = 10)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        var device = model.parameters().First().device;
        var x = test.Images.narrow(0, 0, Math.Min(columns, test.Count)).to(device).to(ScalarType.Float32).div(255).mul(2).sub(1);
        using var generator = new Generator((ulong)seed);
        var corrupted = ImageNoise.Corrupt(x.cpu(), options.Noise, options.NoiseLevel, generator).to(device);
        var rows = new List<Tensor> { x };
        if (options.Noise != NoiseKind.None) rows.Add(corrupted);
        rows.Add(model.forward(corrupted));
        ImageTensor.Write(path, ImageGrid.Tile(cat(rows, 0).add(1).div(2).clamp(0, 1).cpu(), columns: (int)x.shape[0], padding: 2, scale: 2));
        return path;
    }
}
