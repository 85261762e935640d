using Aperture.Segmentation;
using Aperture.Segmentation.UNet;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

/// <summary>U-Net's shapes, its options' checks and its receptive field against the gradient's footprint.</summary>
public class UNetTests
{
    [Fact]
    public void ScoresHaveTheInputsSizeAndOneChannelPerClass()
    {
        Aperture.Core.Torch.Seed(1);
        using var net = new UNetNetwork(5, new UNetOptions { Depth = 2, BaseWidth = 4 });
        net.eval();
        using var x = randn(2, 3, 32, 48);
        using var y = net.forward(x);
        Assert.Equal(new long[] { 2, 5, 32, 48 }, y.shape);
        Assert.Equal(4, net.InputMultiple);
        using var odd = randn(1, 3, 30, 32);
        Assert.Contains("multiples of 4", Assert.Throws<ArgumentException>(() => net.forward(odd)).Message);
    }

    [Theory]
    [InlineData(1, 18)]
    [InlineData(2, 44)]
    [InlineData(3, 96)]
    [InlineData(4, 200)]
    public void TheOutputFieldFollowsTheDeepestPath(int depth, int size)
    {
        using var net = new UNetNetwork(2, new UNetOptions { Depth = depth, BaseWidth = 2 });
        Assert.Equal(size, net.OutputField().Size);
    }

    [Fact]
    public void TheCentreScoreSeesTheFieldAndNothingBeyond()
    {
        // Depth 2 without normalisation, weights all positive so no path is cut by a ReLU. The gradient of the centre
        // score reaches at most the field's side, and at least that minus 2^depth − 1 (each 2x2 max pool passes the
        // gradient to one of its four inputs); pixels beyond the field do not change the score at all.
        using var net = new UNetNetwork(2, new UNetOptions { Depth = 2, BaseWidth = 2, BatchNorm = false });
        using (no_grad())
            foreach (var p in net.parameters()) p.uniform_(0.01, 0.1);
        int size = net.OutputField().Size;
        using var x = rand(1, 3, 96, 96).requires_grad_(true);
        using var y = net.forward(x);
        y[0, 0, 48, 48].backward();
        using var reach = x.grad!.abs().sum(new long[] { 0, 1 }).gt(0);
        using var rows = reach.any(1).nonzero();
        long extent = rows.max().item<long>() - rows.min().item<long>() + 1;
        Assert.InRange(extent, size - 3, size);
        using (no_grad())
        {
            using var changed = x.detach().clone();
            changed[.., .., ..(48 - size), ..].fill_(5);
            changed[.., .., (48 + size).., ..].fill_(5);
            using var y2 = net.forward(changed);
            Assert.Equal(y[0, 0, 48, 48].item<float>(), y2[0, 0, 48, 48].item<float>());
        }
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        Assert.Contains("depth 0", Assert.Throws<ArgumentException>(() => new UNetOptions { Depth = 0 }.Validate()).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => new UNetOptions { Dropout = 1 }.Validate()).Message);
    }
}
