using Aperture.Nn;
using Aperture.Data.Loading;
using Aperture.Ops;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Detection.FastRcnn;

/// <summary>
/// Trains Fast R-CNN end to end with the <see cref="Trainer{TBatch}"/>: each step takes
/// <see cref="FastRcnnOptions.ImagesPerBatch"/> images, samples <see cref="FastRcnnOptions.RoisPerImage"/> RoIs from each
/// image's proposals plus its ground-truth boxes (<see cref="RoiSampler"/>), and minimises the multi-task loss
/// (<see cref="FastRcnnLoss"/>). Validation reports the same losses, the RoI classification accuracy and, given the
/// validation images, their VOC mAP@0.5 (<c>voc_map</c>), which then picks <c>best.ckpt</c> (and early stopping, with
/// <see cref="TrainingOptions.Patience"/>).
/// </summary>
public sealed class FastRcnnTraining : ITrainingTask<FastRcnnBatch>
{
    private readonly FastRcnnOptions _options;
    private readonly Device _device;
    private readonly IReadOnlyList<DetectionImage>? _validationImages;
    private readonly IReadOnlyList<string> _classNames;

    /// <summary>The validation metric that picks the best epoch when validation images are given.</summary>
    public const string MapMetric = "voc_map";

    /// <summary>Creates the task for a network.</summary>
    /// <param name="network">The network.</param>
    /// <param name="options">Fast R-CNN settings.</param>
    /// <param name="training">Optimizer and schedule.</param>
    /// <param name="validationImages">Validation images with proposals: each evaluation also detects in them and reports
    /// their VOC mAP@0.5, which then picks the best epoch; null to pick it by validation loss.</param>
    /// <param name="classNames">Class names (needed with validation images).</param>
    public FastRcnnTraining(FastRcnnNetwork network, FastRcnnOptions options, TrainingOptions training,
        IReadOnlyList<DetectionImage>? validationImages = null, IReadOnlyList<string>? classNames = null)
    {
        Network = network;
        _options = options;
        _device = network.parameters().First().device;
        Modules = new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = network };
        Optimizers = [OptimizerFactory.Create("optimizer", network.parameters(), training)];
        _validationImages = validationImages is { Count: > 0 } ? validationImages : null;
        _classNames = classNames ?? Enumerable.Range(0, network.NumClasses).Select(i => $"class {i}").ToList();
        BestBy = _validationImages is null ? new("loss", HigherIsBetter: false) : new(MapMetric, HigherIsBetter: true);
    }

    /// <summary>The network being trained.</summary>
    public FastRcnnNetwork Network { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; }

    /// <inheritdoc/>
    public long CountExamples(FastRcnnBatch batch) => batch.Size;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(FastRcnnBatch batch)
    {
        var b = batch.To(_device);
        var (logits, deltas) = Network.forward(b.Images, b.Rois);
        var (total, cls, loc) = FastRcnnLoss.Compute(logits, deltas, b.Labels, b.Targets, _options.BoxLossWeight);
        var opt = Optimizers[0].Optimizer;
        opt.zero_grad();
        total.backward();
        opt.step();
        var acc = logits.detach().argmax(1).eq(b.Labels).to_type(ScalarType.Float32).mean();
        return new Dictionary<string, Tensor> { ["loss"] = total.detach(), ["loss_cls"] = cls.detach(), ["loss_loc"] = loc.detach(), ["roi_accuracy"] = acc };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<FastRcnnBatch> batches)
    {
        double total = 0, cls = 0, loc = 0, acc = 0; long n = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            var b = batch.To(_device);
            var (logits, deltas) = Network.forward(b.Images, b.Rois);
            var (t, c, l) = FastRcnnLoss.Compute(logits, deltas, b.Labels, b.Targets, _options.BoxLossWeight);
            long k = batch.Size;
            total += t.item<float>() * k; cls += c.item<float>() * k; loc += l.item<float>() * k;
            acc += logits.argmax(1).eq(b.Labels).to_type(ScalarType.Float32).mean().item<float>() * k;
            n += k;
        }
        if (n == 0) return new Dictionary<string, double>();
        var metrics = new Dictionary<string, double> { ["loss"] = total / n, ["loss_cls"] = cls / n, ["loss_loc"] = loc / n, ["roi_accuracy"] = acc / n };
        if (_validationImages is not null)
        {
            // One pass per image even with test_flip: the epochs compare the same way, at half the cost.
            var score = DetectorEvaluation.Evaluate(new FastRcnnDetector(Network, _classNames, _options with { TestFlip = false }), _validationImages);
            score.DisposeDetections();
            metrics[MapMetric] = score.VocMap;
        }
        return metrics;
    }

    /// <summary>
    /// Mini-batches of one epoch: images shuffled with (seed, epoch), grouped by
    /// <see cref="FastRcnnOptions.ImagesPerBatch"/>, RoIs sampled and (optionally) flipped.
    /// </summary>
    /// <param name="images">Images with proposals attached.</param>
    /// <param name="options">Sampling settings.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="epoch">Epoch number (0 for a fixed validation set without flips).</param>
    public static IEnumerable<FastRcnnBatch> Batches(IReadOnlyList<DetectionImage> images, FastRcnnOptions options, long seed, int epoch)
    {
        foreach (var im in images)
            if (im.Proposals is null) throw new ArgumentException($"image '{im.Id}' has no proposals: attach them first (ProposalCache.Attach)");
        var sampler = new EpochSampler(images.Count, seed, fileOrderAtEpochZero: true);
        foreach (var batch in sampler.Batches(epoch, options.ImagesPerBatch))
        {
            var rng = batch.Random();
            var group = batch.Examples.Select(i => images[(int)i]).ToList();
            var samples = group.Select(im => RoiSampler.Sample(im.Proposals!, im.Boxes, im.Labels, FastRcnnDetector.Coder, options.RoisPerImage,
                options.ForegroundFraction, options.ForegroundIou, options.BackgroundIouLow, options.BackgroundIouHigh, rng)).ToList();
            var flips = group.Select(_ => epoch > 0 && options.HorizontalFlip && rng.NextDouble() < 0.5).ToList();
            yield return FastRcnnBatch.Create(group, samples, flips);
        }
    }

    /// <summary>Trains a Fast R-CNN; returns the detector (from the last epoch) and the trainer's result.</summary>
    /// <param name="train">Training images with proposals.</param>
    /// <param name="validation">Validation images with proposals, or null.</param>
    /// <param name="classNames">Object class names.</param>
    /// <param name="options">Fast R-CNN settings.</param>
    /// <param name="training">Epochs, optimizer, output folder, ...</param>
    /// <param name="proposals">Name of the proposal source (stored in the checkpoint).</param>
    /// <param name="device">Where to train.</param>
    /// <param name="body">Pre-trained weights the conv body starts from, or null for from scratch.</param>
    public static (FastRcnnDetector Detector, TrainingResult Result) Train(IReadOnlyList<DetectionImage> train, IReadOnlyList<DetectionImage>? validation,
        IReadOnlyList<string> classNames, FastRcnnOptions options, TrainingOptions training, string? proposals, Device device, BackboneWeights? body = null)
    {
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("no training images");
        Core.Torch.Seed(training.Seed);
        var network = new FastRcnnNetwork(classNames.Count, options.PoolSize, options.HiddenSize, options.RoiAlign);
        network.to(device);
        string? origin = body?.CopyTo(network.Backbone, network.Head);
        if (body is not null) network.Backbone.Freeze(options.FrozenStages);
        training = training with { Card = Detectors.Card(FastRcnnMethod.Id, classNames, network.Backbone.Widths, options, proposals, origin) };
        var task = new FastRcnnTraining(network, options, training, validation, classNames);
        var trainer = new Trainer<FastRcnnBatch>(task, training);
        using var kernels = Core.OneDnnCheck.NativeKernelsWhereCapped(); // two whole images a step
        var result = trainer.Fit(epoch => Batches(train, options, training.Seed, epoch),
            validation is null || validation.Count == 0 ? null : () => Batches(validation, options, training.Seed, 0),
            new EpochSampler(train.Count, training.Seed).BatchCount(options.ImagesPerBatch));
        return (new FastRcnnDetector(network, classNames, options), result);
    }
}
