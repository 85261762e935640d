using Aperture.Generative.ContextEncoders;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class ChannelWiseFullyConnectedTests
{
    [Fact]
    public void EachChannelIsItsOwnFullyConnectedLayerAndChannelsDoNotMix()
    {
        using var scope = NewDisposeScope();
        var layer = new ChannelWiseFullyConnected(3, 4);
        var x = randn(2, 3, 2, 2, requires_grad: true);
        var y = layer.forward(x);
        var p = layer.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        for (int c = 0; c < 3; c++)
        {
            var expected = x.detach()[.., c].reshape(2, 4).mm(p["weight"].detach()[c]) + p["bias"].detach()[c];
            Assert.True(expected.allclose(y.detach()[.., c].reshape(2, 4), 1e-5, 1e-6), $"channel {c}");
        }
        // The output of channel 1 does not depend on channels 0 and 2.
        y[.., 1].sum().backward();
        var g = x.grad!;
        Assert.Equal(0, g[.., 0].abs().sum().item<float>());
        Assert.Equal(0, g[.., 2].abs().sum().item<float>());
        Assert.True(g[.., 1].abs().sum().item<float>() > 0);
        Assert.Equal(3 * 4 * 4 + 3 * 4, layer.parameters().Sum(q => q.numel()));
        Assert.Throws<ArgumentException>(() => layer.forward(randn(1, 3, 3, 3)));
    }
}
