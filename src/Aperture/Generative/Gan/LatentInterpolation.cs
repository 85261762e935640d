using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// Paths between latent vectors, to show that a generator maps nearby z to related images (Radford et al. 2016,
/// section 6.1). Linear interpolation cuts through the low-norm middle of the Gaussian, where few training latents
/// lie; spherical interpolation (White 2016, "Sampling generative networks") follows the great circle and keeps the
/// norm for equal-norm endpoints.
/// </summary>
public static class LatentInterpolation
{
    /// <summary>Points <c>(1 - t) a + t b</c>.</summary>
    /// <param name="a">Start latents <c>[B, Z]</c>.</param>
    /// <param name="b">End latents <c>[B, Z]</c>.</param>
    /// <param name="t">Fractions in [0, 1], <c>[T]</c>.</param>
    /// <returns><c>[B, T, Z]</c>.</returns>
    public static Tensor Linear(Tensor a, Tensor b, Tensor t)
    {
        Check(a, b, t);
        var w = t.to(a.dtype).view(1, -1, 1);
        return a.unsqueeze(1) * (1 - w) + b.unsqueeze(1) * w;
    }

    /// <summary>Spherical interpolation: with ω the angle between a and b,
    /// <c>sin((1 - t) ω) / sin ω · a + sin(t ω) / sin ω · b</c>; linear where a and b are (anti)parallel (sin ω ≈ 0).</summary>
    /// <param name="a">Start latents <c>[B, Z]</c>.</param>
    /// <param name="b">End latents <c>[B, Z]</c>.</param>
    /// <param name="t">Fractions in [0, 1], <c>[T]</c>.</param>
    /// <returns><c>[B, T, Z]</c>.</returns>
    public static Tensor Spherical(Tensor a, Tensor b, Tensor t)
    {
        Check(a, b, t);
        using var scope = NewDisposeScope();
        var cos = nn.functional.cosine_similarity(a, b, 1).clamp(-1, 1).view(-1, 1, 1); // [B, 1, 1]
        var omega = cos.acos();
        var sin = omega.sin();
        var w = t.to(a.dtype).view(1, -1, 1);
        var safe = sin.abs() > 1e-6;
        var wa = where(safe, ((1 - w) * omega).sin() / sin.clamp_min(1e-12), 1 - w);
        var wb = where(safe, (w * omega).sin() / sin.clamp_min(1e-12), w);
        return (a.unsqueeze(1) * wa + b.unsqueeze(1) * wb).MoveToOuterDisposeScope();
    }

    private static void Check(Tensor a, Tensor b, Tensor t)
    {
        if (a.dim() != 2 || !a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"latents must both be [B, Z]; got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}]");
        if (t.dim() != 1) throw new ArgumentException($"fractions must be [T], got [{string.Join(", ", t.shape)}]");
    }
}
