using Aperture.Generative.Gan;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

public class LatentInterpolationTests
{
    [Fact]
    public void BothPathsStartAtAAndEndAtB()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var (a, b) = (randn(4, 16, generator: g), randn(4, 16, generator: g));
        foreach (var path in new[] { LatentInterpolation.Linear(a, b, linspace(0, 1, 5)), LatentInterpolation.Spherical(a, b, linspace(0, 1, 5)) })
        {
            Assert.Equal([4L, 5, 16], path.shape);
            Assert.True(path[.., 0].allclose(a, atol: 1e-5));
            Assert.True(path[.., 4].allclose(b, atol: 1e-5));
        }
    }

    [Fact]
    public void SphericalKeepsTheNormWhereLinearCutsThroughTheMiddle()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 3, 0 }).view(1, 2);
        var b = tensor(new float[] { 0, 3 }).view(1, 2);
        var t = tensor(new float[] { 0.5f });
        var mid = LatentInterpolation.Spherical(a, b, t)[0, 0];
        Assert.Equal(3.0, mid.norm().item<float>(), 1e-4);
        Assert.Equal(3 / Math.Sqrt(2), mid[0].item<float>(), 1e-4); // 45° on the circle
        Assert.Equal(3 / Math.Sqrt(2), LatentInterpolation.Linear(a, b, t)[0, 0].norm().item<float>(), 1e-4);
    }

    [Fact]
    public void ParallelEndpointsFallBackToLinear()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2 }).view(1, 2);
        var path = LatentInterpolation.Spherical(a, a * 2, linspace(0, 1, 3));
        Assert.True(path.isfinite().all().item<bool>());
        Assert.True(path[0, 1].allclose(a[0] * 1.5f, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => LatentInterpolation.Linear(a, zeros(2, 2), linspace(0, 1, 3)));
    }
}
