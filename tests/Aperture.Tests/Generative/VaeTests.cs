using Aperture.Generative;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

public class VaeTests
{
    [Fact]
    public void ImportanceWeightedEstimateRisesWithKAboveTheElbo()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var vae = new VariationalAutoencoder(12, new VaeOptions { Latent = 3, Hidden = 16, Decoder = DecoderKind.Bernoulli });
        vae.eval();
        var x = rand(64, 12).lt(0.5).to_type(ScalarType.Float32);
        using var noGrad = no_grad();
        double elbo = Enumerable.Range(0, 50).Select(_ => vae.Elbo(x).mean().ToDouble()).Average();
        double k1 = vae.LogLikelihood(x, 1).mean().ToDouble();
        double k10 = vae.LogLikelihood(x, 10).mean().ToDouble();
        double k1000 = vae.LogLikelihood(x, 1000).mean().ToDouble();
        // k = 1 is an unbiased estimate of the ELBO (the closed-form KL only lowers its variance).
        Assert.True(Math.Abs(k1 - elbo) < 0.5, $"k=1 {k1} vs ELBO {elbo}");
        Assert.True(k10 > elbo && k1000 > elbo && k1000 > k10 - 0.02, $"ELBO {elbo}, k=10 {k10}, k=1000 {k1000}");
    }

    /// <summary>
    /// The chunked log-mean-exp equals the one over all samples at once, and frees each chunk's tensors once folded in:
    /// the full report's VAE evaluation (k = 1,000 over 2,000 images) kept every chunk's [256, 256, 784] intermediates alive
    /// until the end and was killed at 24 GB.
    /// </summary>
    [Fact]
    public void LogMeanExpInChunksEqualsTheWholeAndHoldsOneChunkAtATime()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var a = randn(1000, 7, dtype: ScalarType.Float64);
        var live = new List<long>();
        int start = 0;
        var chunked = Likelihood.LogMeanExpInChunks(1000, 64, c =>
        {
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            var part = a.narrow(0, start, c).mul(2).div(2).add(0);   // intermediates a chunk makes
            start += c;
            return part.logsumexp(0);
        });
        Assert.Equal(1000, start);
        Assert.True(chunked.allclose(Likelihood.LogMeanExp(a, 0), rtol: 1e-12, atol: 1e-12));
        Assert.True(live.Max() - live.Min() <= 2, $"live tensors grew across chunks: {string.Join(", ", live)}");

        var vae = new VariationalAutoencoder(12, new VaeOptions { Latent = 3, Hidden = 16, Decoder = DecoderKind.Bernoulli });
        var x = rand(600, 12).lt(0.5).to_type(ScalarType.Float32);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var ll = vae.LogLikelihood(x, 700))
            Assert.Equal(new long[] { 600 }, ll.shape);
        Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount - before <= 2, "the VAE's estimate left tensors alive");
    }

    [Fact]
    public void ImportanceWeightedEstimateIsExactForALinearGaussianModel()
    {
        // With latent 1, the true log p(x) is a 1-D integral: compute it by quadrature and compare with k = 5000.
        using var scope = NewDisposeScope();
        manual_seed(2);
        var vae = new VariationalAutoencoder(4, new VaeOptions { Latent = 1, Hidden = 8, Decoder = DecoderKind.Gaussian });
        vae.eval();
        var x = randn(6, 4).mul(0.3);
        using var noGrad = no_grad();
        var grid = linspace(-8, 8, 8001).unsqueeze(1);
        var decoder = vae.named_modules().First(m => m.name == "decoder").module as PixelDecoder;
        decoder!.named_parameters().First(p => p.name == "log_variance").parameter.fill_(0); // broad posteriors: a low-variance estimate
        var logJoint = decoder!.PairwiseLogProbability(decoder.forward(grid), x) + grid.squeeze(1).square().mul(-0.5).sub(0.5 * Math.Log(2 * Math.PI)).unsqueeze(0);
        var exact = logJoint.to_type(ScalarType.Float64).logsumexp(1).add(Math.Log(16.0 / 8000));
        var estimate = vae.LogLikelihood(x, 5000);
        Assert.True((estimate - exact).abs().max().ToDouble() < 0.05, $"estimate {estimate.ToString(TorchSharp.TensorStringStyle.Julia)} vs quadrature {exact.ToString(TorchSharp.TensorStringStyle.Julia)}");
    }

    [Fact]
    public void PairwiseLogProbabilityEqualsTheBroadcastOne()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        foreach (var kind in new[] { DecoderKind.Bernoulli, DecoderKind.Gaussian })
        {
            var decoder = new PixelDecoder(2, 8, 5, kind);
            var outputs = decoder.forward(randn(7, 2));
            var x = rand(3, 5);
            var pairwise = decoder.PairwiseLogProbability(outputs, x);
            var broadcast = decoder.LogProbability(outputs.unsqueeze(0), x.unsqueeze(1));
            Assert.True(pairwise.allclose(broadcast, rtol: 1e-4, atol: 1e-4), $"{kind}: {(pairwise - broadcast).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void DensityNetworkEstimateApproachesTheQuadratureValue()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var net = new DensityNetwork(4, new DensityNetworkOptions { Latent = 1, Hidden = 8 });
        var x = randn(5, 4).mul(0.3);
        using var noGrad = no_grad();
        var decoder = net.named_modules().First(m => m.name == "decoder").module as PixelDecoder;
        decoder!.named_parameters().First(p => p.name == "log_variance").parameter.fill_(0);
        var grid = linspace(-8, 8, 8001).unsqueeze(1);
        var logJoint = decoder!.PairwiseLogProbability(decoder.forward(grid), x) + grid.squeeze(1).square().mul(-0.5).sub(0.5 * Math.Log(2 * Math.PI)).unsqueeze(0);
        var exact = logJoint.to_type(ScalarType.Float64).logsumexp(1).add(Math.Log(16.0 / 8000));
        var estimate = net.LogLikelihood(x, 200_000, 3);
        Assert.True((estimate - exact).abs().max().ToDouble() < 0.05, $"estimate {estimate.ToString(TorchSharp.TensorStringStyle.Julia)} vs quadrature {exact.ToString(TorchSharp.TensorStringStyle.Julia)}");
        // Few samples: biased low on average (Jensen), clearly so when p(x | z) is sharp.
        decoder.named_parameters().First(p => p.name == "log_variance").parameter.fill_(-4);
        var sharpJoint = decoder.PairwiseLogProbability(decoder.forward(grid), x) + grid.squeeze(1).square().mul(-0.5).sub(0.5 * Math.Log(2 * Math.PI)).unsqueeze(0);
        double sharp = sharpJoint.to_type(ScalarType.Float64).logsumexp(1).add(Math.Log(16.0 / 8000)).mean().ToDouble();
        double few = Enumerable.Range(0, 50).Select(s => net.LogLikelihood(x, 1, s).mean().ToDouble()).Average();
        Assert.True(few < sharp - 0.1, $"R = 1 averages {few}, the true value is {sharp}");
    }
}
