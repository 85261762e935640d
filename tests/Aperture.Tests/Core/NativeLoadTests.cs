using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

public class NativeLoadTests
{
    [Fact]
    public void ConvForwardAndBackwardRunOnTheBuiltNativeLibrary()
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(1);
        var x = randn(2, 3, 8, 8, requires_grad: true);
        var conv = nn.Conv2d(3, 4, 3);
        var y = conv.forward(x);
        Assert.Equal(new long[] { 2, 4, 6, 6 }, y.shape);
        y.sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        Assert.NotNull(conv.weight!.grad);
    }
}
