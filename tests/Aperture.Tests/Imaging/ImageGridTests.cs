using Aperture.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

using static TensorAssert;

public class ImageGridTests
{
    [Fact]
    public void GridSizeAndTilePlacesFollowTheLayout()
    {
        using var scope = NewDisposeScope();
        var images = rand(7, 1, 5, 4, generator: new Generator(3)); // float grey in [0, 1]
        var grid = ImageGrid.Tile(images, columns: 3, padding: 2, scale: 2, background: SKColors.Black);
        // rows = 3; height = 3 * (10 + 2) + 2, width = 3 * (8 + 2) + 2
        Assert.Equal(new long[] { 3, 38, 32 }, grid.shape);
        // Tile 5 sits in row 1, column 2: top = 2 + 12, left = 2 + 2 * 10.
        var tile = grid[.., 14..24, 22..30];
        var expected = images[5].mul(255).round().to_type(ScalarType.Byte)
            .repeat_interleave(2, 1).repeat_interleave(2, 2).expand(3, -1, -1);
        Assert.True(Same(tile, expected));
        // The unused eighth and ninth cells are background.
        Assert.Equal(0, grid[.., 26.., 12..].sum().item<long>());
        // Default columns: ceil(sqrt(7)) = 3.
        Assert.Equal(grid.shape, ImageGrid.Tile(images, padding: 2, scale: 2).shape);
    }

    [Fact]
    public void CaptionsAddTextBelowEachTile()
    {
        using var scope = NewDisposeScope();
        var images = zeros(new long[] { 4, 3, 28, 28 }, ScalarType.Byte);
        var captions = new[]
        {
            Caption.Prediction("Coat", 0.93, "Coat"), Caption.Prediction("Bag", 0.51, "Shirt"),
            Caption.Plain("x"), Caption.Plain("y"),
        };
        var plain = ImageGrid.Tile(images, columns: 2, scale: 3);
        var captioned = ImageGrid.Tile(images, columns: 2, scale: 3, captions: captions);
        Assert.Equal(plain.shape[2], captioned.shape[2]);
        if (TextFont.Typeface is null) { Assert.True(Same(captioned, plain)); return; }
        Assert.True(captioned.shape[1] > plain.shape[1] + 2 * 10, "room for two caption lines per row");
        // Green ink under the first tile, red under the second.
        var under0 = captioned[.., 86..(86 + 30), 2..86].to_type(ScalarType.Int32);
        Assert.True((under0[1] - under0[0]).max().item<int>() > 50 || under0[1].lt(200).any().item<bool>());
        var under1 = captioned[.., 86..(86 + 30), 88..172].to_type(ScalarType.Int32);
        Assert.True((under1[0] - under1[1]).max().item<int>() > 100, "red text for a wrong prediction");
        Assert.Throws<ArgumentException>(() => ImageGrid.Tile(images, captions: captions[..3]));
    }

    [Fact]
    public void NormalizeEachScalesItemsSeparately()
    {
        using var scope = NewDisposeScope();
        var w = stack(new[] { linspace(-3, 1, 9).reshape(1, 3, 3), full(1, 3, 3, 7f), linspace(100, 200, 9).reshape(1, 3, 3) });
        var n = ImageGrid.NormalizeEach(w);
        Assert.Equal(w.shape, n.shape);
        Assert.Equal(0f, n[0].min().item<float>());
        Assert.Equal(1f, n[2].max().item<float>());
        Assert.True(n[1].eq(0.5f).all().item<bool>());
    }

    [Fact]
    public void FiltersBecomeTiles()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 4, 3, 3, 3 }, ImageGrid.Filters(randn(4, 3, 3, 3)).shape);
        Assert.Equal(new long[] { 6, 1, 5, 5 }, ImageGrid.Filters(randn(6, 1, 5, 5)).shape);
        var f = ImageGrid.Filters(randn(2, 5, 3, 3));
        Assert.Equal(new long[] { 10, 1, 3, 3 }, f.shape);
        Assert.True(f.min().item<float>() >= 0 && f.max().item<float>() <= 1);
    }
}

public class ImageGridProperties
{
    [FsCheck.Xunit.Property(MaxTest = 40)]
    public bool GridSizeFollowsTheFormula(byte n0, byte cols0, byte pad0, byte scale0, byte h0, byte w0)
    {
        int n = n0 % 12 + 1, cols = cols0 % 6, pad = pad0 % 4, scale = scale0 % 3 + 1, h = h0 % 6 + 1, w = w0 % 6 + 1;
        using var scope = NewDisposeScope();
        var grid = ImageGrid.Tile(zeros(new long[] { n, 1, h, w }, ScalarType.Byte), cols, pad, scale);
        int c = cols == 0 ? (int)Math.Ceiling(Math.Sqrt(n)) : Math.Min(cols, n);
        int rows = (n + c - 1) / c;
        return grid.shape.SequenceEqual(new long[] { 3, rows * (h * scale + pad) + pad, c * (w * scale + pad) + pad });
    }
}
