using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Tests.Ops;

public class RegionWarpTests
{
    [Fact]
    public void WarpWithContextPaddingMapsTheProposalToTheRightCrop()
    {
        // Image whose channel 0 holds the column index and channel 1 the row index.
        const int h = 60, w = 80;
        var cols = arange(w, dtype: ScalarType.Float32).expand(h, w);
        var rows = arange(h, dtype: ScalarType.Float32).unsqueeze(1).expand(h, w);
        var image = stack(new[] { cols, rows, zeros(h, w) }, 0);
        // A 32x32 box warped to 64 with 16 px padding: the dilated box is 64x64 around the same centre, 1 px per px.
        var box = tensor(new float[] { 10, 20, 42, 52 }, new long[] { 1, 4 });
        var context = RegionWarp.ContextBoxes(box, 64, 16).data<float>().ToArray();
        Assert.Equal(new float[] { -6, 4, 58, 68 }, context);
        var crop = RegionWarp.Warp(image, box, 64, 16);
        Assert.Equal(new long[] { 1, 3, 64, 64 }, crop.shape);
        var c = crop[0];
        // Inside the image the crop reads the source pixel: column j of the crop is image column j - 6.
        Assert.Equal(0f, c[0, 10, 6].item<float>(), 1e-4);
        Assert.Equal(30f, c[0, 10, 36].item<float>(), 1e-4);
        Assert.Equal(63f - 6, c[0, 10, 63].item<float>(), 1e-4);
        Assert.Equal(10f, c[1, 6, 30].item<float>(), 1e-4); // row 6 of the crop is image row 10
        // The original box occupies the inner 32x32 square: its corner pixel is image (10, 20).
        Assert.Equal(10f, c[0, 16, 16].item<float>(), 1e-4);
        Assert.Equal(20f, c[1, 16, 16].item<float>(), 1e-4);
        Assert.Equal(41f, c[0, 47, 47].item<float>(), 1e-4);
        Assert.Equal(51f, c[1, 47, 47].item<float>(), 1e-4);
        // Beyond the image (left of column 0, below row 59) the crop holds the mean, 0 after normalisation.
        Assert.Equal(0f, c[0, 10, 0].item<float>());
        Assert.Equal(0f, c[1, 63, 30].item<float>());
        // Half-size warp: each crop pixel averages a 2x2 block, centre at the block's middle.
        var half = RegionWarp.Warp(image, box, 32, 8)[0];
        Assert.Equal(10.5f, half[0, 8, 8].item<float>(), 1e-4);
    }
}
