using TorchSharp;
using Aperture.Data;
using Aperture.Generative.Gan;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// Context-encoder training (Pathak et al. 2016, section 3.2) as an <see cref="ITrainingTask{TBatch}"/>. Per batch: draw
/// masks m (<see cref="InpaintingMask"/>), hide the region, predict; the reconstruction loss is the mean squared error
/// over the masked pixels. With λ_adv &gt; 0 a DCGAN discriminator (<see cref="DcganDiscriminator"/>, the GAN's) first takes
/// one Adam step on <c>BCE(D(x), 1) + BCE(D(x̂), 0)</c>, x̂ the image with the prediction pasted into the hole, then the
/// context encoder takes one on <c>(1 − λ_adv) L_rec + λ_adv · BCE(D(x̂), 1)</c> (the non-saturating form of the paper's
/// adversarial term). Both networks and both optimizers are checkpointed, so <c>--resume</c> continues exactly; masks
/// come from libtorch's generator, which the trainer reseeds from (seed, epoch). Deliberate difference: the discriminator
/// sees the whole composite image (for the centre mask the paper's sees the predicted region only).
/// Reports <c>loss</c>, <c>l2</c> (masked-region MSE on [-1, 1] pixels) and, adversarial, <c>d_loss</c> and <c>g_adv</c>;
/// evaluation reports the held-out <c>l2</c> on fixed masks, which picks the best checkpoint.
/// </summary>
public sealed class ContextEncoderTask : ITrainingTask<Batch>
{
    private readonly ContextEncoderOptions _options;

    /// <summary>Wraps the networks (the discriminator only when adversarial); Adam settings come from <paramref name="training"/>.</summary>
    public ContextEncoderTask(ContextEncoderNetwork model, DcganDiscriminator? discriminator, ContextEncoderOptions options, TrainingOptions training)
    {
        options.Validate();
        if (options.Adversarial != discriminator is not null)
            throw new ArgumentException(options.Adversarial ? "an adversarial context encoder needs a discriminator" : "adversarial_weight=0 trains no discriminator");
        _options = options;
        Model = model;
        Discriminator = discriminator;
        var modules = new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = model };
        var optimizers = new List<OptimizerSlot> { OptimizerFactory.Create("optimizer", model.parameters(), training) };
        if (discriminator is not null)
        {
            modules["discriminator"] = discriminator;
            optimizers.Add(OptimizerFactory.Create("discriminator", discriminator.parameters(), training));
        }
        Modules = modules;
        Optimizers = optimizers;
    }

    /// <summary>The encoder-decoder.</summary>
    public ContextEncoderNetwork Model { get; }

    /// <summary>The discriminator, or null for L2 alone.</summary>
    public DcganDiscriminator? Discriminator { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; } = new("l2", HigherIsBetter: false);

    /// <inheritdoc/>
    public long CountExamples(Batch batch) => batch.Size;

    /// <summary>Mean squared error over the masked pixels: <c>Σ m (y − x)² / Σ m</c>.</summary>
    public static Tensor MaskedL2(Tensor predicted, Tensor truth, Tensor mask) =>
        (predicted - truth).square().mul(mask).sum() / mask.sum().clamp_min(1);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch)
    {
        var clean = batch.Images;
        var mask = InpaintingMask.Draw(_options.Mask, (int)batch.Size).to(clean.device);
        var predicted = Model.forward(ContextEncoderNetwork.Hide(clean, mask));
        var l2 = MaskedL2(predicted, clean, mask);
        var metrics = new Dictionary<string, Tensor>();
        Tensor loss;
        if (Discriminator is not null)
        {
            var dOpt = Optimizers[1].Optimizer;
            var composite = ContextEncoderNetwork.Paste(clean, predicted, mask);
            var realLogits = Discriminator.forward(clean, null);
            var fakeLogits = Discriminator.forward(composite.detach(), null);
            var dLoss = nn.functional.binary_cross_entropy_with_logits(realLogits, ones_like(realLogits))
                      + nn.functional.binary_cross_entropy_with_logits(fakeLogits, zeros_like(fakeLogits));
            dOpt.zero_grad();
            dLoss.backward();
            dOpt.step();
            var judged = Discriminator.forward(composite, null);
            var adv = nn.functional.binary_cross_entropy_with_logits(judged, ones_like(judged));
            loss = l2 * (1 - _options.AdversarialWeight) + adv * _options.AdversarialWeight;
            metrics["d_loss"] = dLoss.detach();
            metrics["g_adv"] = adv.detach();
        }
        else loss = l2;
        var opt = Optimizers[0].Optimizer;
        opt.zero_grad();
        loss.backward();
        opt.step();
        metrics["loss"] = loss.detach();
        metrics["l2"] = l2.detach();
        return metrics;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches)
    {
        using var generator = new Generator(20160627);
        double sum = 0, pixels = 0;
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                var mask = InpaintingMask.Draw(_options.Mask, (int)batch.Size, generator).to(batch.Images.device);
                var predicted = Model.forward(ContextEncoderNetwork.Hide(batch.Images, mask));
                sum += (predicted - batch.Images).square().mul(mask).sum().ToDouble();
                pixels += mask.sum().ToDouble();
            }
        }
        return new Dictionary<string, double> { ["l2"] = sum / Math.Max(pixels, 1) };
    }
}
