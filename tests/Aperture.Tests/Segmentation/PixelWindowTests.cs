using Aperture.Segmentation.PixelWindow;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Segmentation;

public class PixelWindowTests
{
    /// <summary>
    /// The dense (fully convolutional, dilated) map equals classifying every window one by one, at every pixel of a small
    /// image including the borders, for two window sizes and depths. The windows are cut by hand here (zero padding
    /// then slicing), not by the network's <see cref="PixelWindowNetwork.WindowsAt"/>, which is checked against them.
    /// </summary>
    [Theory]
    [InlineData(33, new[] { 5, 6, 7 })]
    [InlineData(13, new[] { 4, 5 })]
    public void DenseMapEqualsClassifyingEveryWindowOneByOne(int window, int[] widths)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(window);
        var net = new PixelWindowNetwork(3, 4, new PixelWindowOptions { Window = window, Widths = widths, HiddenWidth = 9 });
        net.to(ScalarType.Float64);
        Assert.Equal(window, net.OutputField().Size);
        const int n = 2, hgt = 9, wid = 11;
        var x = randn(n, 3, hgt, wid, dtype: ScalarType.Float64);
        var dense = net.forward(x);
        Assert.Equal(new long[] { n, 4, hgt, wid }, dense.shape);

        int h = (window - 1) / 2;
        var padded = F.pad(x, new long[] { h, h, h, h });
        var windows = new List<Tensor>();
        var positions = new List<long>();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hgt; i++)
                for (int j = 0; j < wid; j++)
                {
                    windows.Add(padded[b, .., i..(i + window), j..(j + window)]);
                    positions.AddRange(new long[] { b, i, j });
                }
        var byHand = stack(windows);
        var pos = tensor(positions.ToArray(), new long[] { positions.Count / 3, 3 });
        Assert.True(net.WindowsAt(x, pos).allclose(byHand, rtol: 0, atol: 0));
        var one = net.ClassifyWindows(byHand); // [n·H·W, K], rows in (b, i, j) order
        var expected = one.reshape(n, hgt, wid, 4).permute(0, 3, 1, 2);
        Assert.True(dense.allclose(expected, rtol: 0, atol: 1e-10), $"max diff {(dense - expected).abs().max().item<double>()}");
    }

    /// <summary>The dense per-pixel loss over an image is the windows' loss, and so is its gradient (the training claim).</summary>
    [Fact]
    public void DenseLossAndGradientEqualTheWindowClassifiers()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var net = new PixelWindowNetwork(1, 3, new PixelWindowOptions { Window = 13, Widths = new[] { 4, 5 }, HiddenWidth = 6 });
        net.to(ScalarType.Float64);
        var x = randn(1, 1, 6, 7, dtype: ScalarType.Float64);
        var labels = randint(0, 3, new long[] { 1, 6, 7 });
        var denseLoss = F.cross_entropy(net.forward(x), labels);
        denseLoss.backward();
        var g1 = net.parameters().Select(p => p.grad!.clone()).ToList();
        net.zero_grad();
        var pos = stack(new[] { zeros(42, dtype: ScalarType.Int64), arange(42) / 7, arange(42) % 7 }, 1);
        var windowLoss = F.cross_entropy(net.ClassifyWindows(net.WindowsAt(x, pos)), labels.reshape(-1));
        windowLoss.backward();
        Assert.Equal(denseLoss.item<double>(), windowLoss.item<double>(), 1e-10);
        foreach (var (a, p) in g1.Zip(net.parameters())) Assert.True(a.allclose(p.grad!, rtol: 1e-8, atol: 1e-12));
    }

    [Fact]
    public void BadWindowsAreNamedWithValidSides()
    {
        var e = Assert.Throws<ArgumentException>(() => new PixelWindowOptions { Window = 31 }.Validate());
        Assert.Contains("31", e.Message);
        Assert.Contains("29, 33", e.Message);
        Assert.Throws<ArgumentException>(() => new PixelWindowOptions { Window = 32 }.Validate());
        Assert.Equal(4, PixelWindowOptions.FinalMapSide(33, 3));
        using var net = new PixelWindowNetwork(3, 2);
        Assert.Throws<ArgumentException>(() => net.ClassifyWindows(zeros(2, 3, 31, 31)));
        Assert.Throws<ArgumentException>(() => net.WindowsAt(zeros(1, 3, 8, 8), tensor(new long[] { 0, 8, 0 }, new long[] { 1, 3 })));
    }
}
