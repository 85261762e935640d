using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// The common shape of supervised training: one model (saved as <see cref="Checkpoint.DefaultModuleName"/>), one
/// optimizer, a per-example loss and a per-example score. A subclass says how a batch splits into input and target
/// and what the loss and the score are; this class runs the step and the evaluation the same way for all.
/// Reports <c>loss</c> and the score under its name; the best checkpoint is chosen by the score.
/// </summary>
/// <typeparam name="TBatch">The batch type; the evaluation disposes each batch after use.</typeparam>
public abstract class SupervisedTask<TBatch> : ITrainingTask<TBatch> where TBatch : IDisposable
{
    private readonly Device _device;
    private readonly string _score;

    /// <summary>Wraps a model and its optimizer.</summary>
    /// <param name="model">Input to logits; saved as <see cref="Checkpoint.DefaultModuleName"/>.</param>
    /// <param name="optimizer">Optimizer over the model's parameters, with its scheduler.</param>
    /// <param name="score">Name of the per-example score (e.g. <c>accuracy</c>); higher is better.</param>
    protected SupervisedTask(nn.Module<Tensor, Tensor> model, OptimizerSlot optimizer, string score)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizers = [optimizer ?? throw new ArgumentNullException(nameof(optimizer))];
        Modules = new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = model };
        BestBy = new MetricGoal(score, HigherIsBetter: true);
        _score = score;
        _device = model.parameters().FirstOrDefault()?.device ?? CPU;
    }

    /// <summary>The model.</summary>
    public nn.Module<Tensor, Tensor> Model { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc />
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc />
    public MetricGoal BestBy { get; }

    /// <inheritdoc />
    public abstract long CountExamples(TBatch batch);

    /// <summary>The model's input and the target of a batch (on any device; they are moved to the model's).</summary>
    protected abstract (Tensor Input, Tensor Target) Split(TBatch batch);

    /// <summary>Per-example loss <c>[B]</c> of <paramref name="logits"/> against <paramref name="target"/>.</summary>
    protected abstract Tensor Losses(Tensor logits, Tensor target);

    /// <summary>Per-example score <c>[B]</c> (e.g. 1 for a right prediction, 0 otherwise).</summary>
    protected abstract Tensor Scores(Tensor logits, Tensor target);

    /// <summary>One optimisation step on the mean loss.</summary>
    /// <returns><c>loss</c> and the score (batch means), scalar tensors.</returns>
    public IReadOnlyDictionary<string, Tensor> TrainStep(TBatch batch)
    {
        var (input, target) = OnDevice(batch);
        var optimizer = Optimizers[0].Optimizer;
        var logits = Model.forward(input);
        var loss = Losses(logits, target).mean();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return new Dictionary<string, Tensor> { ["loss"] = loss, [_score] = Scores(logits.detach(), target).to_type(ScalarType.Float32).mean() };
    }

    /// <summary>Mean loss and mean score over all examples of <paramref name="batches"/> (under no_grad; the caller
    /// chooses train/eval mode). Batches are disposed after use.</summary>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<TBatch> batches)
    {
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var lossSum = zeros([], ScalarType.Float64, _device);
        var scoreSum = zeros([], ScalarType.Float64, _device);
        long count = 0;
        using var e = batches.GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!e.MoveNext()) break;
            using var batch = e.Current;
            var (input, target) = OnDevice(batch);
            var logits = Model.forward(input);
            lossSum.add_(Losses(logits, target).sum().to_type(ScalarType.Float64));
            scoreSum.add_(Scores(logits, target).sum().to_type(ScalarType.Float64));
            count += CountExamples(batch);
        }
        if (count == 0) return new Dictionary<string, double>();
        return new Dictionary<string, double> { ["loss"] = lossSum.item<double>() / count, [_score] = scoreSum.item<double>() / count };
    }

    private (Tensor Input, Tensor Target) OnDevice(TBatch batch)
    {
        var (input, target) = Split(batch);
        return input.device_type == _device.type && input.device_index == _device.index
            ? (input, target)
            : (input.to(_device), target.to(_device));
    }
}
