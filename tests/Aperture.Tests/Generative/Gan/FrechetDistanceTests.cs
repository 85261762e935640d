using Aperture.Generative.Gan;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

public class FrechetDistanceTests
{
    private static Tensor RandomCovariance(int d, Generator g)
    {
        var a = randn([d, d], ScalarType.Float64, generator: g);
        return a.matmul(a.t()) + eye(d, dtype: ScalarType.Float64) * 0.1;
    }

    [Fact]
    public void CommutingCovariancesMatchTheClosedForm()
    {
        using var scope = NewDisposeScope();
        // Diagonal Σ₁ = diag(a), Σ₂ = diag(b): FD = ‖μ₁ − μ₂‖² + Σ (√a − √b)².
        var a = tensor(new double[] { 1, 4, 9, 0.25 });
        var b = tensor(new double[] { 4, 1, 1, 1 });
        var m1 = tensor(new double[] { 0, 1, 2, 3 });
        var m2 = tensor(new double[] { 1, 1, 0, 3 });
        double expected = 1 + 0 + 4 + 0 + Enumerable.Range(0, 4).Sum(i => Math.Pow(Math.Sqrt(a[i].item<double>()) - Math.Sqrt(b[i].item<double>()), 2));
        Assert.Equal(expected, FrechetDistance.Between(m1, diag(a), m2, diag(b)), 1e-9);
    }

    [Fact]
    public void AScaledCovarianceMatchesTheClosedFormAndTheDistanceIsSymmetric()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var s = RandomCovariance(6, g);
        var m = randn([6], ScalarType.Float64, generator: g);
        // Σ₂ = c² Σ₁ commutes with Σ₁: FD = (1 − c)² Tr Σ₁ with equal means.
        Assert.Equal(Math.Pow(1 - 3, 2) * s.trace().item<double>(), FrechetDistance.Between(m, s, m, s * 9), 1e-6);
        Assert.Equal(0, FrechetDistance.Between(m, s, m, s), 1e-6);
        // Symmetric in its arguments, for non-commuting covariances too.
        var t = RandomCovariance(6, g);
        Assert.Equal(FrechetDistance.Between(m, s, m, t), FrechetDistance.Between(m, t, m, s), 1e-6);
        Assert.True(FrechetDistance.Between(m, s, m, t) > 0);
    }

    [Fact]
    public void SamplesFromOneGaussianAreCloserThanSamplesFromAnother()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        var x = randn([4000, 3], ScalarType.Float64, generator: g);
        var y = randn([4000, 3], ScalarType.Float64, generator: g);
        var z = randn([4000, 3], ScalarType.Float64, generator: g) * 2 + 1;
        double same = FrechetDistance.Between(x, y), other = FrechetDistance.Between(x, z);
        Assert.InRange(same, 0, 0.02);
        Assert.Equal(3 * 1 + 3 * 1, other, 0.5); // ‖1‖² + 3 (2 − 1)² = 6, within sampling error
        Assert.Throws<ArgumentException>(() => FrechetDistance.Between(x, randn(10, 4)));
    }

    [Fact]
    public void TheSymmetricSquareRootSquaresBack()
    {
        using var scope = NewDisposeScope();
        var s = RandomCovariance(5, new Generator(2));
        var r = FrechetDistance.SymmetricSqrt(s);
        Assert.True(r.matmul(r).allclose(s, rtol: 1e-8, atol: 1e-8));
    }
}
