using Aperture.Data.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class TransformTests
{
    private static Tensor Ramp(long b, long c, long h, long w) =>
        arange(b * c * h * w, dtype: ScalarType.Float32).view(b, c, h, w) + 1; // every pixel distinct and > 0

    [Fact]
    public void FlipWithProbabilityOneMirrorsEveryImage()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var x = Ramp(3, 2, 4, 5);
        var y = new RandomHorizontalFlip(1.0).Apply(x, g);
        Assert.True(y.eq(x.flip(3)).all().item<bool>());
        Assert.Equal(x[0, 1, 2, 4].item<float>(), y[0, 1, 2, 0].item<float>());
        Assert.True(new RandomHorizontalFlip(0.0).Apply(x, g).eq(x).all().item<bool>());
    }

    [Fact]
    public void FlipChoosesPerImageAndIsSeeded()
    {
        using var scope = NewDisposeScope();
        var x = Ramp(200, 1, 2, 3);
        Tensor Run(ulong seed) { using var g = new Generator(seed); return new RandomHorizontalFlip(0.5).Apply(x, g); }
        var y = Run(9);
        var flipped = y.eq(x.flip(3)).flatten(1).all(1);
        var kept = y.eq(x).flatten(1).all(1);
        Assert.True(flipped.logical_or(kept).all().item<bool>(), "each image is either flipped or untouched");
        long nFlipped = flipped.sum().item<long>();
        Assert.InRange(nFlipped, 60, 140);
        Assert.True(Run(9).eq(y).all().item<bool>());
        Assert.False(Run(10).eq(y).all().item<bool>());
    }

    [Fact]
    public void CropKeepsShapeAndCutsAWindowOfThePaddedImage()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = Ramp(50, 2, 6, 6);
        var y = new RandomCrop(6, padding: 2).Apply(x, g);
        Assert.Equal(x.shape, y.shape);
        var padded = nn.functional.pad(x, new long[] { 2, 2, 2, 2 });
        var offsets = new HashSet<(int, int)>();
        for (int b = 0; b < 50; b++)
        {
            bool found = false;
            for (int top = 0; top <= 4 && !found; top++)
                for (int left = 0; left <= 4 && !found; left++)
                    if (padded[b, .., top..(top + 6), left..(left + 6)].eq(y[b]).all().item<bool>()) { found = true; offsets.Add((top, left)); }
            Assert.True(found, $"image {b} is not a 6x6 window of its padded image");
        }
        Assert.True(offsets.Count > 5, "the crop position varies between images");
    }

    [Fact]
    public void CropWithoutPaddingAtFullSizeIsIdentityAndSmallerCropsHaveTheirSize()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = Ramp(4, 3, 8, 9);
        Assert.True(new RandomCrop(8, 9, 0).Apply(x, g).eq(x).all().item<bool>());
        Assert.Equal(new long[] { 4, 3, 5, 5 }, new RandomCrop(5).Apply(x, g).shape);
        Assert.Throws<ArgumentException>(() => new RandomCrop(10).Apply(x, g));
    }

    [Fact]
    public void NormaliseSubtractsMeanAndDividesByStdPerChannel()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(0);
        var x = rand(2, 2, 3, 3);
        var y = new Normalize(new[] { 0.5f, 0.25f }, new[] { 2f, 0.5f }).Apply(x, g);
        Assert.True(y[.., 0].allclose((x[.., 0] - 0.5f) / 2f));
        Assert.True(y[.., 1].allclose((x[.., 1] - 0.25f) / 0.5f));
        var f = Normalize.FashionMnist.Apply(x, g);
        Assert.True(f.allclose((x - 0.2860f) / 0.3530f));
        Assert.Throws<ArgumentException>(() => new Normalize(new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f }).Apply(x, g));
        Assert.Throws<ArgumentException>(() => new Normalize(0f, 0f));
    }

    [Fact]
    public void ResizeChangesSizeAndKeepsConstantImagesConstant()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(0);
        var x = full(new long[] { 2, 1, 28, 28 }, 0.7f);
        var up = new Resize(32).Apply(x, g);
        var down = new Resize(14, 7).Apply(x, g);
        Assert.Equal(new long[] { 2, 1, 32, 32 }, up.shape);
        Assert.Equal(new long[] { 2, 1, 14, 7 }, down.shape);
        Assert.True(up.allclose(full_like(up, 0.7f), atol: 1e-5));
        Assert.True(down.allclose(full_like(down, 0.7f), atol: 1e-5));
        // A left-to-right ramp stays increasing.
        var ramp = arange(28, dtype: ScalarType.Float32).view(1, 1, 1, 28).expand(1, 1, 28, 28).contiguous();
        var r = new Resize(10).Apply(ramp, g)[0, 0, 5];
        Assert.True((r[1..] - r[..^1]).gt(0).all().item<bool>());
    }

    [Fact]
    public void ComposeAppliesInOrder()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(0);
        var x = Ramp(2, 1, 4, 4);
        var y = new Compose(new RandomHorizontalFlip(1), new Normalize(1f, 2f)).Apply(x, g);
        Assert.True(y.allclose((x.flip(3) - 1f) / 2f));
    }
}
