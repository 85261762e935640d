using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian (Heusel et al. 2017, the
/// "FID" construction): <c>‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)</c>, the 2-Wasserstein distance between
/// the two Gaussians. Computed in float64; the matrix square roots come from symmetric eigendecompositions (negative
/// eigenvalues from rounding clipped to 0), which avoids the complex results of a general <c>sqrtm</c>. On features of
/// our own Fashion-MNIST classifier rather than Inception-v3, so the numbers are NOT comparable with published FIDs.
/// </summary>
public static class FrechetDistance
{
    /// <summary>Mean <c>[D]</c> and covariance <c>[D, D]</c> (divisor N − 1) of features <c>[N, D]</c>, in float64.</summary>
    /// <exception cref="ArgumentException">Not <c>[N, D]</c> with N ≥ 2.</exception>
    public static (Tensor Mean, Tensor Covariance) Statistics(Tensor features)
    {
        if (features.dim() != 2 || features.shape[0] < 2)
            throw new ArgumentException($"features must be [N, D] with N >= 2, got [{string.Join(", ", features.shape)}]");
        using var scope = NewDisposeScope();
        var x = features.detach().to(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x - mean;
        var cov = centred.t().matmul(centred) / (x.shape[0] - 1);
        return (mean.MoveToOuterDisposeScope(), cov.MoveToOuterDisposeScope());
    }

    /// <summary>The distance between Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂).</summary>
    /// <param name="mean1">μ₁, <c>[D]</c>.</param>
    /// <param name="cov1">Σ₁, symmetric positive semi-definite <c>[D, D]</c>.</param>
    /// <param name="mean2">μ₂, <c>[D]</c>.</param>
    /// <param name="cov2">Σ₂, <c>[D, D]</c>.</param>
    /// <returns>A number ≥ 0 (up to rounding); 0 for identical Gaussians.</returns>
    public static double Between(Tensor mean1, Tensor cov1, Tensor mean2, Tensor cov2)
    {
        long d = mean1.shape[0];
        if (mean1.dim() != 1 || !mean2.shape.SequenceEqual(mean1.shape) || !cov1.shape.SequenceEqual(new[] { d, d }) || !cov2.shape.SequenceEqual(new[] { d, d }))
            throw new ArgumentException($"means must be [D] and covariances [D, D] with the same D; got [{string.Join(", ", mean1.shape)}], " +
                $"[{string.Join(", ", cov1.shape)}], [{string.Join(", ", mean2.shape)}], [{string.Join(", ", cov2.shape)}]");
        using var scope = NewDisposeScope();
        var (m1, s1, m2, s2) = (mean1.to(ScalarType.Float64), cov1.to(ScalarType.Float64), mean2.to(ScalarType.Float64), cov2.to(ScalarType.Float64));
        var root1 = SymmetricSqrt(s1);
        var inner = root1.matmul(s2).matmul(root1);
        // Tr((Σ₁^½ Σ₂ Σ₁^½)^½) = Σ √λ over the eigenvalues λ of the symmetric inner matrix.
        var traceRoot = linalg.eigvalsh((inner + inner.t()) / 2).clamp_min(0).sqrt().sum();
        var diff = m1 - m2;
        return (diff.dot(diff) + s1.trace() + s2.trace() - 2 * traceRoot).item<double>();
    }

    /// <summary>The distance between the Gaussians fitted to two feature sets <c>[N₁, D]</c> and <c>[N₂, D]</c>.</summary>
    public static double Between(Tensor features1, Tensor features2)
    {
        using var scope = NewDisposeScope();
        var (m1, s1) = Statistics(features1);
        var (m2, s2) = Statistics(features2);
        return Between(m1, s1, m2, s2);
    }

    /// <summary>The symmetric square root of a symmetric positive semi-definite matrix: V diag(√max(λ, 0)) Vᵀ.</summary>
    public static Tensor SymmetricSqrt(Tensor matrix)
    {
        using var scope = NewDisposeScope();
        var m = matrix.to(ScalarType.Float64);
        var (values, vectors) = linalg.eigh((m + m.t()) / 2);
        return vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.t()).MoveToOuterDisposeScope();
    }
}
