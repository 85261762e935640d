using Aperture.Core;
using Aperture.Data.Loading;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Segmentation.VNet;

/// <summary>A volume held for training or evaluation: normalised intensities <c>float32 [C, D, H, W]</c> and labels <c>uint8 [D, H, W]</c>.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Image">Intensities, already standardised.</param>
/// <param name="Labels">Class ids.</param>
public sealed record TrainingVolume(string Id, Tensor Image, Tensor Labels);

/// <summary>
/// Trains V-Net with the <see cref="Trainer{TBatch}"/>: each step takes <see cref="VNetOptions.BatchSize"/> random
/// patches of <see cref="VNetOptions.PatchSize"/>³ (optionally flipped along each axis) and minimises the soft Dice
/// loss (<see cref="DiceLoss"/>, Milletari's squared form by default) plus an optional cross-entropy term. Validation
/// segments each held-out volume whole with the sliding window and reports the hard Dice (per class pooled over the
/// volumes, then the mean over the foreground classes: <c>dice</c>, which picks the best checkpoint) and the loss.
/// </summary>
public sealed class VNetTraining : ITrainingTask<VolumeBatch>
{
    private readonly VNetOptions _options;
    private readonly Device _device;

    /// <summary>Creates the task for a network.</summary>
    public VNetTraining(VNetNetwork network, TrainingOptions training)
    {
        Network = network;
        _options = network.Options;
        _device = network.parameters().First().device;
        Modules = new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = network };
        Optimizers = [OptimizerFactory.Create("optimizer", network.parameters(), training)];
    }

    /// <summary>The network being trained.</summary>
    public VNetNetwork Network { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; } = new("dice", HigherIsBetter: true);

    /// <inheritdoc/>
    public long CountExamples(VolumeBatch batch) => batch.Size;

    /// <summary>The training loss of logits <c>[B, K, D, H, W]</c> against labels <c>int64 [B, D, H, W]</c>.</summary>
    public static Tensor Loss(Tensor logits, Tensor labels, VNetOptions options)
    {
        var dice = DiceLoss.Compute(logits, labels, new DiceLossOptions { SquaredDenominator = options.SquaredDice, IncludeBackground = options.DiceIncludesBackground });
        return options.CrossEntropyWeight > 0 ? dice.add(nn.functional.cross_entropy(logits, labels).mul(options.CrossEntropyWeight)) : dice;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(VolumeBatch batch)
    {
        var images = batch.Images.to(_device);
        var labels = batch.Labels.to(_device);
        var logits = Network.call(images);
        var loss = Loss(logits, labels, _options);
        var opt = Optimizers[0].Optimizer;
        opt.zero_grad();
        loss.backward();
        opt.step();
        var accuracy = logits.detach().argmax(1).eq(labels).to_type(ScalarType.Float32).mean();
        return new Dictionary<string, Tensor> { ["loss"] = loss.detach(), ["voxel_accuracy"] = accuracy };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<VolumeBatch> batches)
    {
        (long[] Both, long[] Predicted, long[] Truth)? counts = null;
        double loss = 0;
        long n = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            for (int i = 0; i < batch.Size; i++)
            {
                var probs = VolumeSlidingWindow.Probabilities(x => Network.call(x), batch.Images[i], _options.PatchSize, _options.Overlap,
                    _options.GaussianBlending, _options.TilesPerBatch, _device);
                var labels = batch.Labels[i];
                var c = DiceScore.Counts(probs.argmax(0), labels, Network.Classes);
                counts = counts is { } sum ? DiceScore.Add(sum, c) : c;
                // the loss on the blended probabilities (their log as logits: softmax gives them back)
                loss += Loss(probs.clamp_min(1e-8f).log().unsqueeze(0), labels.unsqueeze(0).to_type(ScalarType.Int64).cpu(), _options).item<float>();
                n++;
            }
        }
        if (n == 0) return new Dictionary<string, double>();
        var metrics = new Dictionary<string, double> { ["loss"] = loss / n };
        metrics["dice"] = DiceScore.MeanDefined(DiceScore.FromCounts(counts!.Value).Skip(1));
        return metrics;
    }

    /// <summary>
    /// The mini-batches of one epoch: every training volume visited <see cref="VNetOptions.PatchesPerVolume"/> times in
    /// a seeded order, a random patch cut from it (volumes smaller than the patch padded: edge intensities, background
    /// labels), flipped along each axis with probability 0.5.
    /// </summary>
    /// <param name="volumes">Training volumes (their tensors must outlive the enumeration).</param>
    /// <param name="options">Patch and batch settings.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="epoch">Epoch number (1-based).</param>
    public static IEnumerable<VolumeBatch> Batches(IReadOnlyList<TrainingVolume> volumes, VNetOptions options, long seed, int epoch)
    {
        int p = options.PatchSize;
        var sampler = new EpochSampler((long)volumes.Count * options.PatchesPerVolume, seed);
        foreach (var batch in sampler.Batches(epoch, options.BatchSize))
        {
            var rng = batch.Random();
            var images = new List<Tensor>();
            var labels = new List<Tensor>();
            foreach (long index in batch.Examples)
            {
                var v = volumes[(int)(index % volumes.Count)];
                var (image, label) = PadToPatch(v.Image, v.Labels, p);
                long z = rng.NextInt64(image.shape[1] - p + 1), y = rng.NextInt64(image.shape[2] - p + 1), x = rng.NextInt64(image.shape[3] - p + 1);
                var ip = image.narrow(1, z, p).narrow(2, y, p).narrow(3, x, p);
                var lp = label.narrow(0, z, p).narrow(1, y, p).narrow(2, x, p);
                if (options.RandomFlips)
                    for (int axis = 0; axis < 3; axis++)
                        if (rng.NextDouble() < 0.5)
                        {
                            ip = ip.flip(axis + 1);
                            lp = lp.flip(axis);
                        }
                images.Add(ip);
                labels.Add(lp);
            }
            yield return new VolumeBatch(stack(images.ToArray()), stack(labels.ToArray()).to_type(ScalarType.Int64));
        }
    }

    /// <summary>Validation batches: one whole volume each.</summary>
    public static IEnumerable<VolumeBatch> Whole(IReadOnlyList<TrainingVolume> volumes)
    {
        foreach (var v in volumes)
            yield return new VolumeBatch(v.Image.unsqueeze(0), v.Labels.unsqueeze(0).to_type(ScalarType.Int64));
    }

    private static (Tensor Image, Tensor Labels) PadToPatch(Tensor image, Tensor labels, int p)
    {
        long pd = Math.Max(0, p - image.shape[1]), ph = Math.Max(0, p - image.shape[2]), pw = Math.Max(0, p - image.shape[3]);
        if (pd + ph + pw == 0) return (image, labels);
        var pad = new long[] { 0, pw, 0, ph, 0, pd };
        return (nn.functional.pad(image.unsqueeze(0), pad, TorchSharp.PaddingModes.Replicate).squeeze(0), nn.functional.pad(labels, pad));
    }

    /// <summary>Trains a V-Net; returns the network (last epoch) and the trainer's result. Every checkpoint carries the
    /// model card (family segmenter, method <see cref="VNetSegmenter.Method"/>, classes, settings), so the run folder is the model.</summary>
    /// <param name="train">Training volumes.</param>
    /// <param name="validation">Validation volumes, or none.</param>
    /// <param name="classNames">Foreground class names (K − 1 of them).</param>
    /// <param name="inChannels">Channels of the volumes.</param>
    /// <param name="options">V-Net settings.</param>
    /// <param name="training">Epochs, optimizer, output folder, ...</param>
    /// <param name="device">Where to train.</param>
    public static (VNetNetwork Network, TrainingResult Result) Train(IReadOnlyList<TrainingVolume> train, IReadOnlyList<TrainingVolume>? validation,
        IReadOnlyList<string> classNames, int inChannels, VNetOptions options, TrainingOptions training, Device device)
    {
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("V-Net: no training volumes");
        Core.Torch.Seed(training.Seed);
        var network = new VNetNetwork(options, inChannels, classNames.Count + 1);
        network.to(device);
        training = training with { Card = VNetSegmenter.Card(classNames, inChannels, options) };
        var task = new VNetTraining(network, training);
        var trainer = new Trainer<VolumeBatch>(task, training);
        var result = trainer.Fit(epoch => Batches(train, options, training.Seed, epoch),
            validation is null || validation.Count == 0 ? null : () => Whole(validation),
            new EpochSampler((long)train.Count * options.PatchesPerVolume, training.Seed).BatchCount(options.BatchSize));
        return (network, result);
    }
}
