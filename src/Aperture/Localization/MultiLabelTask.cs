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
public sealed class MultiLabelTask : SupervisedTask<MultiLabelBatch>
{
    /// <summary>Wraps a model (images <c>[B, C, H, W]</c> to logits <c>[B, K]</c>) with the optimizer and schedule of <paramref name="options"/>.</summary>
    public MultiLabelTask(nn.Module<Tensor, Tensor> model, TrainingOptions options)
        : base(model, OptimizerFactory.Create("optimizer", model.parameters(), options), "top1")
    {
    }

    /// <inheritdoc />
    public override long CountExamples(MultiLabelBatch batch) => batch.Size;

    /// <summary><see cref="MultiLabelBatch.Images"/> <c>[B, C, H, W]</c> and <see cref="MultiLabelBatch.Targets"/> <c>[B, K]</c>.</summary>
    protected override (Tensor Input, Tensor Target) Split(MultiLabelBatch batch) => (batch.Images, batch.Targets);

    /// <summary>Binary cross-entropy with logits, averaged over the K classes of each image.</summary>
    protected override Tensor Losses(Tensor logits, Tensor target) =>
        nn.functional.binary_cross_entropy_with_logits(logits, target, reduction: nn.Reduction.None).mean(new long[] { 1 });

    /// <summary>1 where the top-scoring class is present.</summary>
    protected override Tensor Scores(Tensor logits, Tensor target) => TopOneHits(logits, target);

    /// <summary>Per image 1 when the top-scoring class of <paramref name="logits"/> <c>[B, K]</c> is present in <paramref name="targets"/> <c>[B, K]</c>: <c>float32 [B]</c>.</summary>
    public static Tensor TopOneHits(Tensor logits, Tensor targets) =>
        targets.gather(1, logits.argmax(1, keepdim: true)).squeeze(1).to_type(ScalarType.Float32);
}
