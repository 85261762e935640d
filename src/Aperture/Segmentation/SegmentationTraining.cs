using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// The <see cref="ITrainingTask{TBatch}"/> of every segmenter: one network (saved as <c>model</c>), pixel-wise softmax
/// cross-entropy with the ignore label (<see cref="PixelCrossEntropy"/>) and optional class weights. Training reports
/// <c>loss</c> and <c>pixel_accuracy</c>; evaluation adds <c>mean_iou</c>, which picks the best checkpoint when there is
/// a validation set (else the training pixel accuracy does).
/// </summary>
public sealed class SegmentationTraining : ITrainingTask<SampleBatch>
{
    private readonly Device _device;
    private readonly Tensor? _weights;

    /// <summary>Creates the task.</summary>
    /// <param name="network">The network (an <see cref="ISegmentationNetwork"/>), on its device.</param>
    /// <param name="classes">K, background included.</param>
    /// <param name="training">Optimizer settings.</param>
    /// <param name="hasValidation">Whether <see cref="Evaluate"/> will be called each epoch (picks the best by mean IU).</param>
    /// <param name="classWeights">Per-class loss weights <c>[K]</c>, or null.</param>
    public SegmentationTraining(nn.Module<Tensor, Tensor> network, int classes, TrainingOptions training, bool hasValidation, float[]? classWeights = null)
    {
        Network = network;
        Classes = classes;
        _device = network.parameters().First().device;
        if (classWeights is not null && classWeights.Length != classes)
            throw new ArgumentException($"{classWeights.Length} class weights for {classes} classes");
        _weights = classWeights is null ? null : tensor(classWeights, device: _device).DetachFromDisposeScope();
        Modules = new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = network };
        Optimizers = [OptimizerFactory.Create("optimizer", network.parameters(), training)];
        BestBy = hasValidation ? new MetricGoal("mean_iou", HigherIsBetter: true) : new MetricGoal("pixel_accuracy", HigherIsBetter: true);
    }

    /// <summary>The network being trained.</summary>
    public nn.Module<Tensor, Tensor> Network { get; }

    /// <summary>K, background included.</summary>
    public int Classes { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; }

    /// <inheritdoc/>
    public long CountExamples(SampleBatch batch) => batch.Size;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(SampleBatch batch)
    {
        var images = batch.Images.to(_device);
        var masks = batch.Masks!.to(_device);
        var logits = Network.forward(images);
        var loss = PixelCrossEntropy.Compute(logits, masks, _weights);
        var opt = Optimizers[0].Optimizer;
        opt.zero_grad();
        loss.backward();
        opt.step();
        return new Dictionary<string, Tensor> { ["loss"] = loss.detach(), ["pixel_accuracy"] = PixelAccuracy(logits.detach(), masks) };
    }

    private static Tensor PixelAccuracy(Tensor logits, Tensor masks)
    {
        var valid = masks.ne(PixelCrossEntropy.IgnoreLabel);
        var right = logits.argmax(1).eq(masks).logical_and(valid).sum().to_type(ScalarType.Float32);
        return right / valid.sum().to_type(ScalarType.Float32).clamp_min(1);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<SampleBatch> batches)
    {
        var confusion = new PixelConfusion(Classes);
        double loss = 0; long n = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            var masks = batch.Masks!.to(_device);
            var logits = Network.forward(batch.Images.to(_device));
            loss += PixelCrossEntropy.Compute(logits, masks, _weights).item<float>() * batch.Size;
            n += batch.Size;
            confusion.Add(masks.to_type(ScalarType.Byte).cpu().data<byte>().ToArray(), logits.argmax(1).to_type(ScalarType.Byte).cpu().data<byte>().ToArray());
        }
        if (n == 0) return new Dictionary<string, double>();
        return new Dictionary<string, double>
        {
            ["loss"] = loss / n, ["pixel_accuracy"] = confusion.PixelAccuracy(), ["mean_iou"] = confusion.MeanIoU(),
        };
    }
}
