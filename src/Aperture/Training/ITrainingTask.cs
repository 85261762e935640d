using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// What the <see cref="Trainer{TBatch}"/> drives: the modules and optimizers of one method, one training step, and
/// an evaluation. Classification uses <see cref="ClassificationTask"/>; a GAN implements this with two modules and
/// two optimizers; a detector with its own batch type and several losses.
/// </summary>
/// <typeparam name="TBatch">The mini-batch type the data source yields, e.g. <see cref="Aperture.Data.Batch"/>.</typeparam>
public interface ITrainingTask<in TBatch>
{
    /// <summary>Modules to checkpoint by name (e.g. <c>model</c>, or <c>generator</c> and <c>discriminator</c>).
    /// The trainer puts them in <c>train()</c> mode for each epoch and <c>eval()</c> mode for evaluation.</summary>
    IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <summary>Optimizers to checkpoint, with their per-epoch learning-rate schedulers (the trainer steps those once per epoch).</summary>
    IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <summary>Which metric picks the <c>best</c> checkpoint: looked up in the validation metrics when there are
    /// any, else in the epoch's training metrics.</summary>
    MetricGoal BestBy { get; }

    /// <summary>Number of examples (images) in a batch, for throughput and for weighting the epoch averages.</summary>
    long CountExamples(TBatch batch);

    /// <summary>
    /// One training step: forward, loss(es), backward and optimizer step(s). Runs inside a dispose scope the trainer
    /// opens and closes around it, so temporaries need no disposal.
    /// </summary>
    /// <returns>Named scalar tensors (shape <c>[]</c>, floating point) that are per-example means over the batch,
    /// e.g. <c>loss</c> and <c>accuracy</c>. The trainer averages them over the epoch, weighted by
    /// <see cref="CountExamples"/>, without reading them every step; any non-finite value stops training.</returns>
    IReadOnlyDictionary<string, Tensor> TrainStep(TBatch batch);

    /// <summary>
    /// Evaluates on held-out batches. The trainer calls it with every module in <c>eval()</c> mode and under
    /// <c>no_grad</c>; the task opens a dispose scope per batch.
    /// </summary>
    /// <returns>Named metrics, e.g. <c>loss</c> and <c>accuracy</c>.</returns>
    IReadOnlyDictionary<string, double> Evaluate(IEnumerable<TBatch> batches);
}
