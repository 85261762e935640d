using Aperture.Generative.ContextEncoders;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class InpaintingMaskTests
{
    [Fact]
    public void TheCentreMaskIsTheCentralHalfSquare()
    {
        using var scope = NewDisposeScope();
        var m = InpaintingMask.Centre(2);
        Assert.Equal(new long[] { 2, 1, 28, 28 }, m.shape);
        Assert.Equal(2 * 14 * 14, m.sum().item<float>());
        Assert.Equal(1, m[0, 0, 7, 7].item<float>());
        Assert.Equal(1, m[0, 0, 20, 20].item<float>());
        Assert.Equal(0, m[0, 0, 6, 7].item<float>());
        Assert.Equal(0, m[0, 0, 21, 20].item<float>());
    }

    [Fact]
    public void RandomBlocksCoverAQuarterAndRepeatWithTheirSeed()
    {
        using var scope = NewDisposeScope();
        var a = InpaintingMask.RandomBlocks(50, new Generator(4));
        var b = InpaintingMask.RandomBlocks(50, new Generator(4));
        var c = InpaintingMask.RandomBlocks(50, new Generator(5));
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
        var covered = a.sum([1, 2, 3]).data<float>().ToArray();
        Assert.All(covered, v => Assert.InRange(v, 196, 196 + 100)); // at least a quarter, at most one 10x10 block more
        Assert.True(a.eq(0).logical_or(a.eq(1)).all().item<bool>());
    }
}
