using Aperture.Generative;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class ParzenWindowTests
{
    [Fact]
    public void OneDimensionalWindowsMatchTheClosedForm()
    {
        using var scope = NewDisposeScope();
        // Samples at 0 and 2, σ = 1 (the only grid value): p(x) = ½ N(x; 0, 1) + ½ N(x; 2, 1).
        var samples = tensor(new double[] { 0, 2 }, [2, 1]);
        var test = tensor(new double[] { 1, -1, 3.5 }, [3, 1]);
        static double LogP(double x) => Math.Log(0.5 * Math.Exp(-x * x / 2) + 0.5 * Math.Exp(-(x - 2) * (x - 2) / 2)) - 0.5 * Math.Log(2 * Math.PI);
        var ll = new[] { LogP(1), LogP(-1), LogP(3.5) };
        double mean = ll.Average();
        double se = Math.Sqrt(ll.Sum(v => (v - mean) * (v - mean)) / 2) / Math.Sqrt(3);
        var r = ParzenWindow.Estimate("toy", samples, test, test, [1.0]);
        Assert.Equal(mean, r.MeanLogLikelihood, 1e-9);
        Assert.Equal(se, r.StandardError, 1e-9);
        Assert.Equal(1.0, r.Bandwidth);
        Assert.Equal(-0.5 - 0.5 * Math.Log(2 * Math.PI), LogP(1), 12); // at the midpoint both kernels give N(1; 0, 1)
    }

    [Fact]
    public void TheBandwidthIsChosenOnValidationDataNearTheTruth()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(8);
        // Samples and validation points from N(0, 0.3²) in 1-D: a window of about 0.3 · 1.06 · n^(-1/5) ≈ 0.08 fits (Silverman).
        var samples = randn([2000, 1], ScalarType.Float64, generator: g) * 0.3;
        var validation = randn([2000, 1], ScalarType.Float64, generator: g) * 0.3;
        var r = ParzenWindow.Estimate("toy", samples, validation, validation, GaussianKde.Grid(0.005, 2, 30));
        Assert.InRange(r.Bandwidth, 0.03, 0.2);
        Assert.Equal(r.Scores.MaxBy(s => s.MeanLogLikelihood).Bandwidth, r.Bandwidth);
        Assert.Throws<ArgumentException>(() => ParzenWindow.Estimate("toy", samples, validation, randn(1, 1, dtype: ScalarType.Float64)));
    }
}
