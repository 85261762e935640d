using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// The two-player game of Goodfellow et al. (2014, algorithm 1, with k = 1 discriminator step per generator step) as
/// an <see cref="ITrainingTask{TBatch}"/>: per batch, one Adam step of the discriminator on
/// <c>BCE(D(x), 1 - s) + BCE(D(G(z)), 0)</c> (s: one-sided label smoothing), then one Adam step of the generator on the
/// non-saturating loss <c>-log D(G(z))</c> (or the minimax <c>log(1 - D(G(z)))</c>), both on the same z. Conditional:
/// the fakes get the real batch's labels, so both players see the data's class frequencies. z is drawn from
/// libtorch's generator, which the trainer reseeds from (seed, epoch): a resumed run draws the same noise.
/// Reports per step (means over the batch): <c>d_loss</c>, <c>g_loss</c>, <c>d_real</c> = mean D(x) and
/// <c>d_fake</c> = mean D(G(z)) before the discriminator's step. Images are expected in [-1, 1].
/// </summary>
public sealed class GanTask : ITrainingTask<Batch>
{
    private readonly GanOptions _options;
    private readonly Tensor _epochSums = zeros(5, ScalarType.Float64); // d_loss, g_loss, d_real, d_fake (times images), images

    /// <summary>Builds the task around the two networks (and the average of the generator when on).</summary>
    /// <param name="generator">The generator.</param>
    /// <param name="discriminator">The discriminator.</param>
    /// <param name="average">The generator's moving average, or null when off.</param>
    /// <param name="options">Losses and stabilisers.</param>
    /// <param name="training">The trainer's options: Adam settings for both optimizers are taken from it.</param>
    public GanTask(DcganGenerator generator, DcganDiscriminator discriminator, GeneratorAverage? average, GanOptions options, TrainingOptions training)
    {
        options.Validate();
        _options = options;
        Generator = generator;
        Discriminator = discriminator;
        Average = average;
        var modules = new Dictionary<string, nn.Module> { ["generator"] = generator, ["discriminator"] = discriminator };
        if (average is not null) modules["generator_ema"] = average;
        Modules = modules;
        Optimizers =
        [
            OptimizerFactory.Create("generator", generator.parameters(), training),
            OptimizerFactory.Create("discriminator", discriminator.parameters(), training),
        ];
    }

    /// <summary>The generator.</summary>
    public DcganGenerator Generator { get; }

    /// <summary>The discriminator.</summary>
    public DcganDiscriminator Discriminator { get; }

    /// <summary>The generator's moving average, or null.</summary>
    public GeneratorAverage? Average { get; }

    /// <summary>The generator samples come from: the average when on, else the generator.</summary>
    public DcganGenerator SampleGenerator => Average?.Generator ?? Generator;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <summary>A GAN has no validation metric that picks a best epoch; <c>best.ckpt</c> is the epoch with the lowest
    /// generator loss, which says little about sample quality — sampling uses <c>last.ckpt</c>.</summary>
    public MetricGoal BestBy { get; } = new("g_loss", HigherIsBetter: false);

    /// <inheritdoc/>
    public long CountExamples(Batch batch) => batch.Size;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch)
    {
        var (gOpt, dOpt) = (Optimizers[0].Optimizer, Optimizers[1].Optimizer);
        var real = batch.Images;
        var labels = _options.Conditional ? batch.Labels : null;
        var z = randn([batch.Size, Generator.LatentSize], device: real.device);
        var fake = Generator.forward(z, labels);

        var realLogits = Discriminator.forward(real, labels);
        var fakeLogits = Discriminator.forward(fake.detach(), labels);
        var dLoss = nn.functional.binary_cross_entropy_with_logits(realLogits, full_like(realLogits, 1 - _options.LabelSmoothing))
                  + nn.functional.binary_cross_entropy_with_logits(fakeLogits, zeros_like(fakeLogits));
        dOpt.zero_grad();
        dLoss.backward();
        dOpt.step();

        var judged = Discriminator.forward(fake, labels);
        var gLoss = _options.Loss == GanLossKind.NonSaturating
            ? nn.functional.binary_cross_entropy_with_logits(judged, ones_like(judged))
            : -nn.functional.binary_cross_entropy_with_logits(judged, zeros_like(judged)); // log(1 - D(G(z)))
        gOpt.zero_grad();
        gLoss.backward();
        gOpt.step();
        Average?.Update(Generator);

        var dReal = sigmoid(realLogits.detach()).mean();
        var dFake = sigmoid(fakeLogits.detach()).mean();
        using (no_grad())
            _epochSums.add_(stack([dLoss.detach(), gLoss.detach(), dReal, dFake, ones_like(dReal)]).to(ScalarType.Float64).cpu(), alpha: batch.Size);
        return new Dictionary<string, Tensor> { ["d_loss"] = dLoss, ["g_loss"] = gLoss, ["d_real"] = dReal, ["d_fake"] = dFake };
    }

    /// <summary>No held-out evaluation: returns no metrics.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches) => new Dictionary<string, double>();

    /// <summary>Means of the losses and discriminator outputs since the last call (one epoch), and resets them.</summary>
    /// <returns>(d_loss, g_loss, d_real, d_fake), or all NaN when no step ran.</returns>
    public (double DLoss, double GLoss, double DReal, double DFake) TakeEpochMeans()
    {
        var s = _epochSums.data<double>().ToArray();
        _epochSums.zero_();
        double n = s[4];
        return n > 0 ? (s[0] / n, s[1] / n, s[2] / n, s[3] / n) : (double.NaN, double.NaN, double.NaN, double.NaN);
    }
}
