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

    /// <summary>
    /// A convolution's input gradient on the default layout equals the float64 one: what <see cref="Aperture.Core.OneDnnCheck"/>
    /// ensures on CPUs whose oneDNN gets it wrong (and what holds anyway elsewhere). Repeated, as the fault came and went.
    /// </summary>
    [Fact]
    public void ConvolutionInputGradientsAreRightOnThisCpu()
    {
        using var scope = NewDisposeScope();
        _ = Aperture.Core.OneDnnCheck.Disabled; // loads the check
        Aperture.Core.Torch.Seed(5);
        var volume = randn(new long[] { 1, 2, 8, 8, 8 });
        var kernel = randn(new long[] { 4, 2, 5, 5, 5 });
        Tensor Gradient(ScalarType type)
        {
            var x = volume.to(type).detach().clone().requires_grad_(true);
            nn.functional.conv3d(x, kernel.to(type), padding: new long[] { 2, 2, 2 }).square().sum().backward();
            return x.grad!.to(ScalarType.Float32);
        }
        var reference = Gradient(ScalarType.Float64);
        for (int i = 0; i < 4; i++)
        {
            var g = Gradient(ScalarType.Float32);
            Assert.True(g.allclose(reference, rtol: 1e-3, atol: 1e-3), $"call {i}: the input gradient is off by {(g - reference).abs().max().item<float>()} (oneDNN disabled: {Aperture.Core.OneDnnCheck.Disabled})");
        }
    }
}
