using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// Pixel-wise softmax cross-entropy, the loss of FCN (Long, Shelhamer &amp; Darrell, CVPR 2015) and U-Net
/// (Ronneberger et al. 2015): every pixel is one classification example,
/// <c>ℓ(x) = −w[y] · log softmax(z(x))[y]</c>, averaged over the pixels that are not ignored with the class weights as
/// weights, <c>L = Σ_x w[y(x)] ℓ(x) / Σ_x w[y(x)]</c> (PyTorch's weighted mean). Pixels labelled
/// <see cref="IgnoreLabel"/> (VOC's "void" border) add nothing to the loss or its gradient.
/// <para>U-Net's paper also multiplies a per-pixel weight map that stresses thin gaps between touching cells; that map
/// is specific to cell images and left out — per-class weights cover the class-balance half of it.</para>
/// </summary>
public static class PixelCrossEntropy
{
    /// <summary>The label of pixels that are not scored (255, as in Pascal VOC's masks).</summary>
    public const long IgnoreLabel = 255;

    /// <summary>The loss.</summary>
    /// <param name="logits">Scores <c>[N, K, H, W]</c>, float.</param>
    /// <param name="target">Labels <c>[N, H, W]</c>, integer, in <c>0 .. K-1</c> or <see cref="IgnoreLabel"/>.</param>
    /// <param name="classWeights">Weights <c>[K]</c> (float, on the logits' device), or null for all 1.</param>
    /// <returns>The scalar loss <c>[]</c>; 0 (with a zero gradient) when every pixel is ignored.</returns>
    /// <exception cref="ArgumentException">The shapes disagree, or a label is neither a class nor the ignore label.</exception>
    public static Tensor Compute(Tensor logits, Tensor target, Tensor? classWeights = null)
    {
        if (logits.dim() != 4 || target.dim() != 3 || logits.shape[0] != target.shape[0] || logits.shape[2] != target.shape[1] || logits.shape[3] != target.shape[2])
            throw new ArgumentException($"pixel cross-entropy needs logits [N, K, H, W] and labels [N, H, W], got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", target.shape)}]");
        long k = logits.shape[1];
        if (classWeights is not null && (classWeights.dim() != 1 || classWeights.shape[0] != k))
            throw new ArgumentException($"class weights must be [{k}], got [{string.Join(", ", classWeights.shape)}]");
        using var scope = NewDisposeScope();
        var labels = target.to_type(ScalarType.Int64);
        var valid = labels.ne(IgnoreLabel);
        var bad = valid.logical_and(labels.lt(0).logical_or(labels.ge(k)));
        if (bad.any().item<bool>())
        {
            long v = labels.masked_select(bad)[0].item<long>();
            throw new ArgumentException($"label {v} is neither one of the {k} classes (0 .. {k - 1}) nor the ignore label {IgnoreLabel}");
        }
        var safe = labels.masked_fill(valid.logical_not(), 0);
        var nll = -nn.functional.log_softmax(logits, 1).gather(1, safe.unsqueeze(1)).squeeze(1);   // [N, H, W]
        var w = valid.to_type(logits.dtype);
        if (classWeights is not null) w = w * classWeights.to_type(logits.dtype).index_select(0, safe.flatten()).view_as(safe);
        var total = (nll * w).sum();
        var denominator = w.sum().clamp_min(1e-12);
        return (total / denominator).MoveToOuterDisposeScope();
    }
}
