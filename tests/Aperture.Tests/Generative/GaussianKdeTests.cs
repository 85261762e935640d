using Aperture.Generative;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

public class GaussianKdeTests
{
    [Fact]
    public void LogDensityEqualsTheExactLogSumExpReference()
    {
        using var train = DensityReference.Matrix("train");
        using var test = DensityReference.Matrix("test");
        using var kde = new GaussianKde(train, DensityReference.Scalar("kde_bandwidth"));
        double[] ours = kde.LogLikelihood(test).data<double>().ToArray();
        double[] theirs = DensityReference.Vector("kde_logdensity_test");
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1e-4 * Math.Abs(theirs[i]), $"example {i}: {ours[i]} vs exact {theirs[i]}");
    }

    [Fact]
    public void BlocksAcrossTrainingPointsGiveTheDirectSum()
    {
        // More training points than one block, so the running log-sum-exp across blocks is exercised.
        using var scope = NewDisposeScope();
        manual_seed(5);
        var train = rand(GaussianKde.TrainBlock + 700, 6, dtype: ScalarType.Float64);
        var test = rand(GaussianKde.QueryBlock + 13, 6, dtype: ScalarType.Float64);
        double h = 0.07;
        var kde = new GaussianKde(train, h);
        var d2 = cdist(test, train).square();
        var direct = d2.mul(-0.5 / (h * h)).logsumexp(1).sub(Math.Log(train.shape[0])).sub(3 * Math.Log(2 * Math.PI * h * h));
        var ours = kde.LogLikelihood(test);
        Assert.True(ours.allclose(direct, rtol: 1e-9, atol: 1e-8), $"max difference {(ours - direct).abs().max().ToDouble()}");
        // float32 arithmetic stays close thanks to centring.
        var single = new GaussianKde(train, h, dtype: ScalarType.Float32).LogLikelihood(test);
        Assert.True((single - direct).abs().max().ToDouble() < 1e-2);
    }

    [Fact]
    public void HeldOutLikelihoodPicksAnInteriorBandwidth()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var train = randn(2000, 2, dtype: ScalarType.Float64);
        var validation = randn(500, 2, dtype: ScalarType.Float64);
        var kde = new GaussianKde(train, 1.0);
        var grid = GaussianKde.Grid(0.01, 5, 15);
        var (best, scores) = kde.SelectBandwidth(validation, grid);
        Assert.True(best > grid[0] && best < grid[^1], $"picked {best} at the edge of the grid");
        // Silverman's rule for a standard normal in 2-D and N = 2000 gives about 0.28: the choice is near it.
        Assert.InRange(best, 0.1, 0.6);
        Assert.Equal(scores.Max(s => s.MeanLogLikelihood), scores.First(s => s.Bandwidth == best).MeanLogLikelihood);
    }

    [Fact]
    public void BadBandwidthIsRefused()
    {
        using var train = zeros(3, 2);
        Assert.Contains("bandwidth", Assert.Throws<ArgumentException>(() => new GaussianKde(train, 0)).Message);
    }
}
