using Aperture.Core;
using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// Supervised classification: a model mapping images <c>[B, C, H, W]</c> float to logits <c>[B, K]</c>, trained with
/// softmax cross-entropy; reports <c>loss</c> and <c>accuracy</c>. The best checkpoint is chosen by accuracy.
/// </summary>
public sealed class ClassificationTask : SupervisedTask<Batch>
{
    /// <summary>Wraps a model and its optimizer (named e.g. <c>optimizer</c>).</summary>
    /// <param name="model">Images <c>[B, C, H, W]</c> float32 to logits <c>[B, K]</c>; saved as <see cref="Checkpoint.DefaultModuleName"/>.</param>
    /// <param name="optimizer">Optimizer over the model's parameters, with its scheduler.</param>
    public ClassificationTask(nn.Module<Tensor, Tensor> model, OptimizerSlot optimizer) : base(model, optimizer, "accuracy")
    {
    }

    /// <summary>Wraps a model with the optimizer and schedule of <paramref name="options"/> (<see cref="OptimizerFactory"/>).</summary>
    public ClassificationTask(nn.Module<Tensor, Tensor> model, TrainingOptions options)
        : this(model, OptimizerFactory.Create("optimizer", model.parameters(), options))
    {
    }

    /// <inheritdoc />
    public override long CountExamples(Batch batch) => batch.Size;

    /// <summary><see cref="Batch.Images"/> <c>[B, C, H, W]</c> and <see cref="Batch.Labels"/> <c>[B]</c> int64.</summary>
    protected override (Tensor Input, Tensor Target) Split(Batch batch) => (batch.Images, batch.Labels);

    /// <summary>Softmax cross-entropy per image.</summary>
    protected override Tensor Losses(Tensor logits, Tensor target) =>
        nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None);

    /// <summary>1 where the top-1 class is the label.</summary>
    protected override Tensor Scores(Tensor logits, Tensor target) => logits.argmax(1).eq(target);
}
