using Aperture.Segmentation;
using Aperture.Segmentation.UNet;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

/// <summary>Any input size: padding to the network's multiple and sliding-window tiles.</summary>
public class SegmentationInferenceTests
{
    private static readonly float[] Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f];

    private static UNetNetwork Net()
    {
        Aperture.Core.Torch.Seed(3);
        var net = new UNetNetwork(3, new UNetOptions { Depth = 2, BaseWidth = 4 });   // field 44 px
        net.eval();
        using (no_grad())   // PyTorch's default init shrinks the signal ~3x per layer; keep it alive so far context matters
            foreach (var p in net.parameters().Where(p => p.dim() == 4)) p.mul_(1.8);
        return net;
    }

    [Theory]
    [InlineData(37, 53)]
    [InlineData(1, 5)]
    [InlineData(64, 64)]
    public void OddSizesArePaddedAndCroppedBack(int h, int w)
    {
        using var net = Net();
        using var image = randint(0, 256, new long[] { 3, h, w }).to_type(ScalarType.Byte);
        using var scores = new SegmentationInference(Tile: 0).Scores(net, image, Mean, Std);
        Assert.Equal(new long[] { 3, h, w }, scores.shape);
        using var labels = new SegmentationInference(Tile: 0).Labels(net, image, Mean, Std);
        Assert.Equal(new long[] { h, w }, labels.shape);
    }

    [Fact]
    public void TilesEqualTheWholeImageWhenHalfTheOverlapCoversTheField()
    {
        using var net = Net();
        using var image = randint(0, 256, new long[] { 3, 150, 131 }).to_type(ScalarType.Byte);
        using var whole = new SegmentationInference(Tile: 0).Scores(net, image, Mean, Std);
        using var tiled = new SegmentationInference(Tile: 96, Overlap: 64).Scores(net, image, Mean, Std);   // margin 32 ≥ radius 22 + multiple 4
        Assert.Equal(whole.shape, tiled.shape);
        using var diff = (whole - tiled).abs().amax(0);
        using var where = diff.gt(1e-4f).nonzero();
        Assert.True(where.shape[0] == 0, $"tiled scores differ from the whole image's by up to {diff.max().item<float>()} at {where.shape[0]} pixels, rows {(where.shape[0] > 0 ? where[.., 0].min().item<long>() + ".." + where[.., 0].max().item<long>() : "")}, cols {(where.shape[0] > 0 ? where[.., 1].min().item<long>() + ".." + where[.., 1].max().item<long>() : "")}");
        // With too small an overlap the tiles see less context than the whole image, and it shows.
        using var narrow = new SegmentationInference(Tile: 96, Overlap: 8).Scores(net, image, Mean, Std);
        float gap = (whole - narrow).abs().max().item<float>();
        float scale = whole.abs().max().item<float>();
        Assert.True(gap > 1e-2f * scale, $"narrow overlap differs by only {gap} (scores up to {scale})");
    }

    [Fact]
    public void BadTilingIsNamed()
    {
        using var net = Net();
        using var image = zeros(3, 8, 8);
        Assert.Contains("overlap", Assert.Throws<ArgumentException>(() => new SegmentationInference(64, 64).Scores(net, image, Mean, Std)).Message);
    }
}
