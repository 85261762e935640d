using Aperture.Generative.AutoEncoders;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class ImageNoiseTests
{
    [Fact]
    public void EachNoiseCorruptsAsDocumented()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(2);
        var x = full(4, 1, 28, 28, 0.5f);
        Assert.True(ImageNoise.Corrupt(x, NoiseKind.None, 0.3, g).eq(x).all().item<bool>());
        var masked = ImageNoise.Corrupt(x, NoiseKind.Masking, 0.25, g);
        double destroyed = masked.eq(-1).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(destroyed, 0.22, 0.28);
        Assert.True(masked.eq(-1).logical_or(masked.eq(0.5f)).all().item<bool>());
        var sp = ImageNoise.Corrupt(x, NoiseKind.SaltPepper, 0.2, g);
        Assert.InRange(sp.eq(1).to(ScalarType.Float64).mean().item<double>(), 0.07, 0.13);
        Assert.InRange(sp.eq(-1).to(ScalarType.Float64).mean().item<double>(), 0.07, 0.13);
        var gauss = ImageNoise.Corrupt(x, NoiseKind.Gaussian, 0.1, g);
        Assert.InRange((gauss - x).std().item<float>(), 0.18, 0.22); // σ 0.1 on [0, 1] is 0.2 on [-1, 1]
        Assert.True(gauss.le(1).all().item<bool>() && gauss.ge(-1).all().item<bool>());
        Assert.True(x.eq(0.5f).all().item<bool>()); // the clean images are untouched
        Assert.Throws<ArgumentException>(() => ImageNoise.Corrupt(x, NoiseKind.Masking, -0.1, g));
    }
}
