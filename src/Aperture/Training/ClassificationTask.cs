using Aperture.Core;
using Aperture.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// Supervised classification: a model mapping images <c>[B, C, H, W]</c> float to logits <c>[B, K]</c>, trained with
/// softmax cross-entropy; reports <c>loss</c> and <c>accuracy</c>. The best checkpoint is chosen by accuracy.
/// </summary>
public sealed class ClassificationTask : ITrainingTask<Batch>
{
    private readonly Device _device;

    /// <summary>Wraps a model and its optimizer (named e.g. <c>optimizer</c>).</summary>
    /// <param name="model">Images <c>[B, C, H, W]</c> float32 to logits <c>[B, K]</c>; saved as <see cref="Checkpoint.DefaultModuleName"/>.</param>
    /// <param name="optimizer">Optimizer over the model's parameters, with its scheduler.</param>
    public ClassificationTask(nn.Module<Tensor, Tensor> model, OptimizerSlot optimizer)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizers = [optimizer ?? throw new ArgumentNullException(nameof(optimizer))];
        Modules = new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = model };
        _device = model.parameters().FirstOrDefault()?.device ?? CPU;
    }

    /// <summary>Wraps a model with the optimizer and schedule of <paramref name="options"/> (<see cref="OptimizerFactory"/>).</summary>
    public ClassificationTask(nn.Module<Tensor, Tensor> model, TrainingOptions options)
        : this(model, OptimizerFactory.Create("optimizer", model.parameters(), options))
    {
    }

    /// <summary>The classifier.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc />
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc />
    public MetricGoal BestBy { get; } = new("accuracy", HigherIsBetter: true);

    /// <inheritdoc />
    public long CountExamples(Batch batch) => batch.Size;

    /// <summary>Cross-entropy step on <see cref="Batch.Images"/> <c>[B, C, H, W]</c> and <see cref="Batch.Labels"/> <c>[B]</c> int64.</summary>
    /// <returns><c>loss</c> (mean cross-entropy) and <c>accuracy</c> (fraction of correct top-1), scalar tensors.</returns>
    public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch)
    {
        var (images, labels) = OnDevice(batch);
        var optimizer = Optimizers[0].Optimizer;
        var logits = Model.forward(images);
        var loss = nn.functional.cross_entropy(logits, labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        var accuracy = logits.detach().argmax(1).eq(labels).to_type(ScalarType.Float32).mean();
        return new Dictionary<string, Tensor> { ["loss"] = loss, ["accuracy"] = accuracy };
    }

    /// <summary>Mean cross-entropy and top-1 accuracy over all examples of <paramref name="batches"/> (under no_grad;
    /// the caller chooses train/eval mode). Batches are disposed after use.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches)
    {
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var lossSum = zeros([], ScalarType.Float64, _device);
        var correct = zeros([], ScalarType.Int64, _device);
        long count = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            var (images, labels) = OnDevice(batch);
            var logits = Model.forward(images);
            lossSum.add_(nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum));
            correct.add_(logits.argmax(1).eq(labels).sum());
            count += batch.Size;
        }
        if (count == 0) return new Dictionary<string, double>();
        return new Dictionary<string, double>
        {
            ["loss"] = lossSum.item<double>() / count,
            ["accuracy"] = correct.item<long>() / (double)count,
        };
    }

    private (Tensor Images, Tensor Labels) OnDevice(Batch batch) =>
        batch.Images.device_type == _device.type && batch.Images.device_index == _device.index
            ? (batch.Images, batch.Labels)
            : (batch.Images.to(_device), batch.Labels.to(_device));
}
