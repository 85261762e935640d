using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection.Rcnn;

/// <summary>
/// R-CNN's class-specific bounding-box regression (appendix C): for each class, ridge regression from a region's
/// features to the targets (tx, ty, tw, th) of <see cref="BoxCoder"/> that move the proposal onto its ground-truth box,
/// trained on proposals overlapping a box of that class by IoU ≥ 0.6.
/// </summary>
public static class BoxRegressor
{
    /// <summary>
    /// Solves (XᵀX + λI) W = XᵀT with X the features <c>[n, D]</c> plus a constant 1 column (not regularised).
    /// Returns W <c>float32 [D + 1, 4]</c>, or zeros (no correction) when there are no examples.
    /// </summary>
    public static Tensor Fit(Tensor features, Tensor targets, double lambda)
    {
        using var scope = NewDisposeScope();
        long d = features.shape[1];
        if (features.shape[0] == 0) return zeros(d + 1, 4).MoveToOuterDisposeScope();
        var x = cat(new[] { features.to_type(ScalarType.Float64), ones(features.shape[0], 1, ScalarType.Float64) }, 1);
        var reg = eye(d + 1, dtype: ScalarType.Float64).mul(lambda);
        reg[d, d] = tensor(1e-6, ScalarType.Float64);
        var a = x.t().matmul(x).add(reg);
        var b = x.t().matmul(targets.to_type(ScalarType.Float64));
        return linalg.solve(a, b).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Predicted deltas <c>[n, 4]</c> for features <c>[n, D]</c> and weights <c>[D + 1, 4]</c>.</summary>
    public static Tensor Predict(Tensor features, Tensor weights) =>
        features.matmul(weights.narrow(0, 0, weights.shape[0] - 1)).add(weights[^1]);
}
