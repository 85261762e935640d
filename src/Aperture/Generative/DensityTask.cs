using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The training task of the trainable density models (<see cref="ITrainableDensity"/>): each step maximises the
/// model's per-example objective (minimises its negation, <c>loss</c>); evaluation reports the same objective on
/// held-out examples, which picks the best checkpoint. Batches are examples <c>float32 [B, D]</c>.
/// </summary>
public sealed class DensityTask : ITrainingTask<Tensor>
{
    private readonly ITrainableDensity _model;

    /// <summary>Wraps a model and the optimizer of <paramref name="options"/>.</summary>
    public DensityTask(ITrainableDensity model, TrainingOptions options)
    {
        _model = model;
        Modules = new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = model.Network };
        Optimizers = [OptimizerFactory.Create("optimizer", model.Network.parameters(), options)];
        BestBy = new MetricGoal(model.ObjectiveName, HigherIsBetter: true);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; }

    /// <inheritdoc/>
    public long CountExamples(Tensor batch) => batch.shape[0];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(Tensor batch)
    {
        var optimizer = Optimizers[0].Optimizer;
        optimizer.zero_grad();
        var objective = _model.TrainingObjective(batch).mean();
        var loss = objective.neg();
        loss.backward();
        optimizer.step();
        return new Dictionary<string, Tensor> { ["loss"] = loss.detach(), [_model.ObjectiveName] = objective.detach() };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Tensor> batches)
    {
        double sum = 0;
        long count = 0;
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            sum += _model.TrainingObjective(batch).sum().ToDouble();
            count += batch.shape[0];
            batch.Dispose();
        }
        double mean = sum / Math.Max(count, 1);
        return new Dictionary<string, double> { [_model.ObjectiveName] = mean, ["loss"] = -mean };
    }

    /// <summary>An epoch's batches of <paramref name="data"/> <c>[N, D]</c> in a seeded shuffle of (seed, epoch).</summary>
    public static IEnumerable<Tensor> Shuffled(Tensor data, int batchSize, long seed, int epoch)
    {
        using var generator = new Generator((ulong)(seed * 1_000_003 + epoch));
        var order = randperm(data.shape[0], generator: generator).data<long>().ToArray();
        for (int i = 0; i < order.Length; i += batchSize)
        {
            using var index = tensor(order[i..Math.Min(order.Length, i + batchSize)]);
            yield return data.index_select(0, index);
        }
    }

    /// <summary>Batches of <paramref name="data"/> in order (evaluation).</summary>
    public static IEnumerable<Tensor> InOrder(Tensor data, int batchSize)
    {
        for (long i = 0; i < data.shape[0]; i += batchSize)
            yield return data.narrow(0, i, Math.Min(batchSize, data.shape[0] - i)).clone();
    }
}
