using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Tests.Nn;

/// <summary>Truncated SVD of fully connected layers (Fast R-CNN, section 3.1) and the inference copy of fc6/fc7.</summary>
public class TruncatedLinearTests
{
    [Fact]
    public void ARankTLayerMissesExactlyTheDiscardedSingularValues()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var layer = nn.Linear(40, 12);
        var x = randn(7, 40);
        var singular = linalg.svdvals(layer.weight!.detach().to(ScalarType.Float64));
        foreach (int rank in new[] { 1, 5, 11 })
        {
            var truncated = TruncatedLinear.Of(layer, rank);
            // Eckart–Young: the rank-t error in the Frobenius norm is the norm of the discarded singular values. The
            // layer's matrix is read back as its response to the identity, minus the bias.
            using var noGrad = no_grad();
            var w = truncated.forward(eye(40)).sub(layer.bias!).t().to(ScalarType.Float64);
            double error = w.sub(layer.weight!.to(ScalarType.Float64)).norm().item<double>();
            double expected = singular.narrow(0, rank, 12 - rank).norm().item<double>();
            Assert.Equal(expected, error, 4);
            Assert.Equal(rank, truncated.Rank);
        }
        using (no_grad())
            Assert.True(TruncatedLinear.Of(layer, 12).forward(x).allclose(layer.forward(x), rtol: 1e-4, atol: 1e-5));
        Assert.Throws<ArgumentOutOfRangeException>(() => TruncatedLinear.Of(layer, 13));
        Assert.Throws<ArgumentOutOfRangeException>(() => TruncatedLinear.Of(layer, 0));
    }

    [Fact]
    public void TheInferenceHeadMatchesTheHeadOnMapsInEitherLayoutAndLeavesItsWeightsAlone()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        var head = new RegionHead(6, 3, 16);
        var pooled = randn(9, 6, 3, 3);
        var channelsLast = pooled.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var before = head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var noGrad = no_grad();
        var expected = head.forward(pooled);
        var whole = head.Truncated(0, 0);
        Assert.True(whole.forward(pooled).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(whole.forward(channelsLast).allclose(expected, rtol: 1e-5, atol: 1e-6));
        // Compressed: the difference is fc6's discarded part, so it shrinks as the rank grows, and vanishes at full rank.
        double Error(int rank) => head.Truncated(rank, 0).forward(channelsLast).sub(expected).norm().item<float>();
        Assert.True(Error(4) > Error(12));
        Assert.True(Error(16) < 1e-4);
        Assert.True(head.Truncated(8, 8).forward(pooled).allclose(head.Truncated(8, 8).forward(channelsLast), rtol: 1e-5, atol: 1e-6));
        foreach (var (name, t) in head.state_dict()) Assert.True(t.eq(before[name]).all().item<bool>(), name);
    }
}
