using static TorchSharp.torch;

namespace Aperture.Detection.FastRcnn;

/// <summary>
/// Fast R-CNN's multi-task loss (eq. 1): L = L_cls(p, u) + λ [u ≥ 1] L_loc(t^u, v), with L_cls the log loss of the
/// true class u and L_loc the smooth L1 loss (eq. 2) between the deltas predicted for class u and the targets v,
/// summed over the four coordinates; both terms are averaged over all RoIs of the mini-batch.
/// </summary>
public static class FastRcnnLoss
{
    /// <summary>Smooth L1: 0.5 x² where |x| &lt; 1, |x| − 0.5 elsewhere, elementwise.</summary>
    public static Tensor SmoothL1(Tensor x)
    {
        var a = x.abs();
        return where(a.lt(1), a.square().mul(0.5), a.sub(0.5));
    }

    /// <summary>Computes the loss terms.</summary>
    /// <param name="logits">Class scores <c>[R, K+1]</c>.</param>
    /// <param name="deltas">Box deltas <c>[R, 4(K+1)]</c>.</param>
    /// <param name="labels">True classes <c>int64 [R]</c> (0 background).</param>
    /// <param name="targets">Targets <c>[R, 4]</c> for the true class.</param>
    /// <param name="boxWeight">λ.</param>
    /// <returns>Total, classification and localisation losses (scalars).</returns>
    public static (Tensor Total, Tensor Classification, Tensor Localization) Compute(Tensor logits, Tensor deltas, Tensor labels, Tensor targets, double boxWeight = 1)
    {
        var cls = nn.functional.cross_entropy(logits, labels);
        long r = logits.shape[0];
        var perClass = deltas.view(r, -1, 4);
        var picked = perClass.gather(1, labels.view(r, 1, 1).expand(r, 1, 4)).squeeze(1);
        var fg = labels.gt(0).unsqueeze(1).to_type(deltas.dtype);
        var loc = SmoothL1(picked.sub(targets)).mul(fg).sum().div(Math.Max(1, r));
        return (cls.add(loc.mul(boxWeight)), cls, loc);
    }
}
