using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// Multi-label classification for the <see cref="Trainer{TBatch}"/>: one independent sigmoid per class, trained with
/// binary cross-entropy on image-level targets (which classes are present, not where). Reports <c>loss</c> (mean BCE
/// over classes and images) and <c>top1</c>, the fraction of images whose highest-scoring class is really present;
/// the best checkpoint is chosen by <c>top1</c>.
/// </summary>
public sealed class MultiLabelTask : ITrainingTask<MultiLabelBatch>
{
    private readonly Device _device;

    /// <summary>Wraps a model (images <c>[B, C, H, W]</c> to logits <c>[B, K]</c>) with the optimizer and schedule of <paramref name="options"/>.</summary>
    public MultiLabelTask(nn.Module<Tensor, Tensor> model, TrainingOptions options)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizers = [OptimizerFactory.Create("optimizer", model.parameters(), options)];
        Modules = new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = model };
        _device = model.parameters().FirstOrDefault()?.device ?? CPU;
    }

    /// <summary>The network.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc />
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc />
    public MetricGoal BestBy { get; } = new("top1", HigherIsBetter: true);

    /// <inheritdoc />
    public long CountExamples(MultiLabelBatch batch) => batch.Size;

    /// <summary>Binary cross-entropy step (with logits) on <see cref="MultiLabelBatch.Targets"/> <c>[B, K]</c>.</summary>
    /// <returns><c>loss</c> and <c>top1</c>, scalar tensors.</returns>
    public IReadOnlyDictionary<string, Tensor> TrainStep(MultiLabelBatch batch)
    {
        var (images, targets) = OnDevice(batch);
        var optimizer = Optimizers[0].Optimizer;
        var logits = Model.forward(images);
        var loss = nn.functional.binary_cross_entropy_with_logits(logits, targets);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return new Dictionary<string, Tensor> { ["loss"] = loss, ["top1"] = TopOneHits(logits.detach(), targets).mean() };
    }

    /// <summary>Mean BCE and top-1 hit rate over all images of <paramref name="batches"/> (batches are disposed after use).</summary>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<MultiLabelBatch> batches)
    {
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var lossSum = zeros([], ScalarType.Float64, _device);
        var hits = zeros([], ScalarType.Float64, _device);
        long count = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            var (images, targets) = OnDevice(batch);
            var logits = Model.forward(images);
            lossSum.add_(nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction: nn.Reduction.Sum) / targets.shape[1]);
            hits.add_(TopOneHits(logits, targets).sum());
            count += batch.Size;
        }
        if (count == 0) return new Dictionary<string, double>();
        return new Dictionary<string, double> { ["loss"] = lossSum.item<double>() / count, ["top1"] = hits.item<double>() / count };
    }

    /// <summary>Per image 1 when the top-scoring class of <paramref name="logits"/> <c>[B, K]</c> is present in <paramref name="targets"/> <c>[B, K]</c>: <c>float32 [B]</c>.</summary>
    public static Tensor TopOneHits(Tensor logits, Tensor targets) =>
        targets.gather(1, logits.argmax(1, keepdim: true)).squeeze(1).to_type(ScalarType.Float32);

    private (Tensor Images, Tensor Targets) OnDevice(MultiLabelBatch batch) =>
        batch.Images.device_type == _device.type && batch.Images.device_index == _device.index
            ? (batch.Images, batch.Targets)
            : (batch.Images.to(_device), batch.Targets.to(_device));
}
