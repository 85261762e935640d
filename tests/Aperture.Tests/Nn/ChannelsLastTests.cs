using Aperture.Nn;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Nn;

public class ChannelsLastTests
{
    [Fact]
    public void KeepsShapeAndValuesAndStoresChannelsInnermost()
    {
        using var x = arange(2 * 3 * 4 * 5, dtype: ScalarType.Float32).reshape(2, 3, 4, 5);
        using var y = ChannelsLast.Of(x);
        Assert.Equal(x.shape, y.shape);
        Assert.True(y.eq(x).all().item<bool>());
        Assert.False(ChannelsLast.Is(x));
        Assert.True(ChannelsLast.Is(y));
        Assert.Equal(new long[] { 60, 1, 15, 3 }, y.stride());
        using var v = randn(new long[] { 2, 3, 4, 5, 6 });
        using var w = ChannelsLast.Of(v);
        Assert.True(ChannelsLast.Is(w) && w.eq(v).all().item<bool>());
        using var u = randn(3, 4);
        Assert.Same(u, ChannelsLast.Of(u));
    }

    /// <summary>
    /// The layers the segmenters are made of (convolution, dilated convolution, batch norm in training mode, ReLU, max
    /// pooling, concatenation, 2x2 transposed convolution, 3-D convolution) give the same outputs and the same input and
    /// parameter gradients on a channels-last input as on the default layout: the layout changes the kernels, not the maths.
    /// </summary>
    [Fact]
    public void TheSegmentersLayersComputeTheSameForwardAndBackward()
    {
        torch.random.manual_seed(3);
        using var conv = nn.Conv2d(3, 8, 3, padding: 1);
        using var dilated = nn.Conv2d(8, 8, 3, padding: 2, dilation: 2);
        using var bn = nn.BatchNorm2d(8);
        using var up = nn.ConvTranspose2d(8, 4, 2, stride: 2);
        using var conv3d = nn.Conv3d(2, 4, 5, padding: 2);
        var parameters = conv.parameters().Concat(dilated.parameters()).Concat(bn.parameters()).Concat(up.parameters()).Concat(conv3d.parameters()).ToArray();
        using var image = randn(2, 3, 16, 16);
        using var volume = randn(new long[] { 1, 2, 8, 8, 8 });

        (Tensor Out, Tensor[] Grads) Run(Func<Tensor, Tensor> layout)
        {
            foreach (var p in parameters) p.grad?.zero_();
            var x = image.detach().clone().requires_grad_(true);
            var v = volume.detach().clone().requires_grad_(true);
            var a = F.relu(bn.forward(conv.forward(layout(x))));
            var b = F.relu(dilated.forward(F.max_pool2d(a, 2)));
            var c = cat([a, up.forward(b).repeat(1, 2, 1, 1)], 1);
            var d = conv3d.forward(layout(v));
            using var loss = c.square().mean().add(d.square().mean());
            loss.backward();
            var grads = new[] { x.grad!, v.grad! }.Concat(parameters.Select(p => p.grad!)).Select(g => g.detach().clone()).ToArray();
            return (cat([c.detach().flatten(), d.detach().flatten()]), grads);
        }

        var (plain, plainGrads) = Run(t => t);
        var (last, lastGrads) = Run(ChannelsLast.Of);
        Assert.True(last.allclose(plain, rtol: 1e-4, atol: 1e-5), $"outputs differ by {(last - plain).abs().max().item<float>()}");
        for (int i = 0; i < plainGrads.Length; i++)
            Assert.True(lastGrads[i].allclose(plainGrads[i], rtol: 1e-4, atol: 1e-6), $"gradient {i} differs by {(lastGrads[i] - plainGrads[i]).abs().max().item<float>()}");
    }
}
