using Aperture.Generative;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

public class ProbabilisticPcaTests
{
    private static ProbabilisticPca FitReference()
    {
        using var train = DensityReference.Matrix("train");
        return new ProbabilisticPca(12, (int)DensityReference.Scalar("n_components")).Fit(train);
    }

    [Fact]
    public void LogLikelihoodEqualsScikitLearnScoreSamples()
    {
        using var model = FitReference();
        using var test = DensityReference.Matrix("test");
        double[] ours = model.LogLikelihood(test).data<double>().ToArray();
        double[] theirs = DensityReference.Vector("ppca_loglik_test");
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1e-4 * Math.Abs(theirs[i]), $"example {i}: {ours[i]} vs scikit-learn {theirs[i]}");
        Assert.Equal(DensityReference.Scalar("ppca_mean_loglik_test"), ours.Average(), 1e-6 * 50);
    }

    [Fact]
    public void NoiseVarianceAndEigenvaluesEqualScikitLearn()
    {
        using var model = FitReference();
        Assert.Equal(DensityReference.Scalar("ppca_noise_variance"), model.NoiseVariance, 1e-9);
        var ours = model.ExplainedVariance.data<double>().ToArray();
        var theirs = DensityReference.Vector("explained_variance");
        for (int i = 0; i < ours.Length; i++) Assert.Equal(theirs[i], ours[i], 1e-8);
    }

    [Fact]
    public void WoodburyLikelihoodEqualsTheDenseGaussian()
    {
        // Another data set than the reference's: a dense N(mu, C) with C = W W^T + s2 I formed explicitly.
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(200, 9, dtype: ScalarType.Float64).mm(randn(9, 9, dtype: ScalarType.Float64)) + 2;
        var model = new ProbabilisticPca(9, 3).Fit(x);
        var w = model.Loadings();
        var c = w.mm(w.t()) + eye(9, dtype: ScalarType.Float64).mul(model.NoiseVariance);
        var diff = x.narrow(0, 0, 20) - model.Mean;
        var dense = (linalg.solve(c, diff.t()).t() * diff).sum(1).add(linalg.slogdet(c).Item2).add(9 * Math.Log(2 * Math.PI)).mul(-0.5);
        var ours = model.LogLikelihood(x.narrow(0, 0, 20));
        Assert.True(ours.allclose(dense, rtol: 1e-10, atol: 1e-10), $"max difference {(ours - dense).abs().max().ToDouble()}");
    }

    [Fact]
    public void SamplesHaveTheModelCovariance()
    {
        using var scope = NewDisposeScope();
        using var train = DensityReference.Matrix("train");
        var model = new ProbabilisticPca(12, 4).Fit(train);
        var s = model.Sample(40000, 7).to_type(ScalarType.Float64);
        var w = model.Loadings();
        var c = w.mm(w.t()) + eye(12, dtype: ScalarType.Float64).mul(model.NoiseVariance);
        var centred = s - s.mean([0L]);
        var sampleCov = centred.t().mm(centred).div(s.shape[0] - 1);
        double relative = ((sampleCov - c).norm() / c.norm()).ToDouble();
        Assert.True(relative < 0.03, $"sample covariance is {relative:P1} away from W W^T + s2 I");
    }

    [Fact]
    public void ReconstructionIsTheProjectionOntoThePrincipalSubspace()
    {
        using var scope = NewDisposeScope();
        using var train = DensityReference.Matrix("train");
        var model = new ProbabilisticPca(12, 4).Fit(train);
        var r = model.Reconstruct(train).to_type(ScalarType.Float64);
        // Projection is idempotent and its residual is orthogonal to the principal axes.
        var rr = model.Reconstruct(r).to_type(ScalarType.Float64);
        Assert.True(rr.allclose(r, rtol: 1e-4, atol: 1e-4));
        var residual = train - r;
        Assert.True(residual.mm(model.PrincipalAxes.t()).abs().max().ToDouble() < 1e-4);
        // Keeping more components reconstructs better.
        var full = new ProbabilisticPca(12, 10).Fit(train);
        Assert.True((train - full.Reconstruct(train).to_type(ScalarType.Float64)).square().mean().ToDouble()
            < residual.square().mean().ToDouble());
    }

    [Fact]
    public void BadSizesAreRefusedByName()
    {
        Assert.Contains("components", Assert.Throws<ArgumentException>(() => new ProbabilisticPca(12, 12)).Message);
        using var model = new ProbabilisticPca(12, 4);
        using var wrong = zeros(3, 11);
        Assert.Contains("[N, 12]", Assert.Throws<ArgumentException>(() => model.LogLikelihood(wrong)).Message);
    }
}
