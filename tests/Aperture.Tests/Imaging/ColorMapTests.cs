using Aperture.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

using static TensorAssert;

public class ColorMapTests
{
    private static void Near(SKColor expected, SKColor actual, int tolerance)
    {
        Assert.True(Math.Abs(expected.Red - actual.Red) <= tolerance
            && Math.Abs(expected.Green - actual.Green) <= tolerance
            && Math.Abs(expected.Blue - actual.Blue) <= tolerance, $"expected about {expected}, got {actual}");
    }

    /// <summary>CIELAB lightness L* of an sRGB colour.</summary>
    private static double Lightness(SKColor c)
    {
        static double Lin(byte v) { double s = v / 255.0; return s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4); }
        double y = 0.2126 * Lin(c.Red) + 0.7152 * Lin(c.Green) + 0.0722 * Lin(c.Blue);
        return y > 0.008856 ? 116 * Math.Cbrt(y) - 16 : 903.3 * y;
    }

    [Fact]
    public void ViridisMatchesMatplotlibAtItsEndsAndMiddle()
    {
        // matplotlib's viridis: #440154 at 0, #21918c at 0.5, #fde725 at 1.
        Near(new SKColor(0x44, 0x01, 0x54), ColorMap.Viridis[0], 5);
        Near(new SKColor(0x21, 0x91, 0x8c), ColorMap.Viridis.At(0.5), 5);
        Near(new SKColor(0xfd, 0xe7, 0x25), ColorMap.Viridis[255], 5);
        // magma: #000004 to #fcfdbf; turbo (polynomial fit) ends in dark red.
        Near(new SKColor(0x00, 0x00, 0x04), ColorMap.Magma[0], 5);
        Near(new SKColor(0xfc, 0xfd, 0xbf), ColorMap.Magma[255], 8);
        Assert.True(ColorMap.Turbo[255].Red > 120 && ColorMap.Turbo[255].Blue < 20);
    }

    [Theory]
    [InlineData("viridis")]
    [InlineData("magma")]
    public void PerceptualMapsHaveRisingLuminance(string name)
    {
        var map = ColorMap.Get(name);
        // Rounding to 8 bits may wobble a neighbouring pair by a few hundredths of L*; over 4 entries it must rise.
        for (int i = 1; i < 256; i++)
            Assert.True(Lightness(map[i]) > Lightness(map[i - 1]) - 0.1, $"{name}: lightness falls from entry {i - 1} to {i}");
        for (int i = 4; i < 256; i += 4)
            Assert.True(Lightness(map[i]) > Lightness(map[i - 4]) + 0.1, $"{name}: lightness does not rise from entry {i - 4} to {i}");
        Assert.True(Lightness(map[255]) - Lightness(map[0]) > 70, $"{name}: spans too little lightness");
    }

    [Fact]
    public void ApplyScalesToTheTableAndClamps()
    {
        using var scope = NewDisposeScope();
        var v = tensor(new float[] { -1, 0, 0.5f, 2, float.NaN, 1 }).reshape(2, 3);
        var rgb = ColorMap.Viridis.Apply(v);
        Assert.Equal(new long[] { 3, 2, 3 }, rgb.shape);
        Assert.Equal(ScalarType.Byte, rgb.dtype);
        var table = ColorMap.Viridis.Table();
        Assert.True(Same(rgb[.., 0, 0], table[0]));   // data minimum
        Assert.True(Same(rgb[.., 1, 0], table[255])); // data maximum
        Assert.True(Same(rgb[.., 1, 1], table[0]));   // NaN → low end

        var fixedRange = ColorMap.Viridis.Apply(v, min: 0, max: 1);
        Assert.True(Same(fixedRange[.., 0, 0], table[0]));   // -1 clamped
        Assert.True(Same(fixedRange[.., 1, 0], table[255])); // 2 clamped
        Assert.True(Same(fixedRange[.., 0, 2], table[128])); // 0.5 → round(127.5)
        Assert.Throws<ArgumentException>(() => ColorMap.Viridis.Apply(v.unsqueeze(0)));
        Assert.Throws<ArgumentException>(() => ColorMap.Get("jet"));
    }

    [Fact]
    public void PaletteColoursAreDistinctAndBackgroundIsBlack()
    {
        Assert.Equal(SKColors.Black, Palette.Color(0));
        const int n = 32;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                SKColor a = Palette.Color(i), b = Palette.Color(j);
                double d = Math.Sqrt(Math.Pow(a.Red - b.Red, 2) + Math.Pow(a.Green - b.Green, 2) + Math.Pow(a.Blue - b.Blue, 2));
                Assert.True(d > 40, $"classes {i} and {j} look alike: {a} vs {b}");
            }
        using var table = Palette.Table(n);
        Assert.Equal(new long[] { n, 3 }, table.shape);
        Assert.Equal(Palette.Color(7).Green, table[7, 1].item<byte>());
    }
}
