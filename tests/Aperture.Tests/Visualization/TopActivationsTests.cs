using Aperture.Data;
using Aperture.Nn;
using Aperture.Visualization;
using static TorchSharp.torch;

namespace Aperture.Tests.Visualization;

public class TopActivationsTests
{
    [Fact]
    public void TopNineMatchABruteForceSearchAndPatchesAreTheReceptiveFields()
    {
        using var scope = NewDisposeScope();
        using var net = DeconvnetTests.RandomVgg(21);
        using var data = FashionMnist.LoadSample(DatasetSplit.Test);
        var images = data.Images.narrow(0, 0, 150);
        var deconv = new Deconvnet(net);
        var channels = new[] { 0, 5, 7 };
        var found = TopActivations.Find(deconv, images, "relu1_2", channels, batchSize: 64);

        var acts = deconv.Activations(images.to_type(ScalarType.Float32).div(255), "relu1_2");
        for (int m = 0; m < channels.Length; m++)
        {
            var perImage = acts[.., channels[m]].flatten(1).max(1).values;
            var (best, which) = perImage.topk(9);
            Assert.Equal(9, found[m].Count);
            Assert.Equal(9, found[m].Select(h => h.ImageIndex).Distinct().Count());
            for (int i = 0; i < 9; i++)
            {
                Assert.Equal(best[i].item<float>(), found[m][i].Value, 1e-5);
                var h = found[m][i];
                Assert.Equal(h.Value, acts[h.ImageIndex, channels[m], h.Row, h.Col].item<float>(), 1e-5);
            }
        }

        var tops = TopActivations.Collect(deconv, images, "relu1_2", channels, batchSize: 64);
        var rf = ReceptiveField.Find(ReceptiveField.Of(net, 28), "relu1_2"); // 5 x 5
        foreach (var t in tops)
        {
            Assert.Equal(new long[] { 9, 1, 5, 5 }, t.Patches.shape);
            Assert.Equal(new long[] { 9, 1, 5, 5 }, t.Reconstructions.shape);
            for (int i = 0; i < 9; i++)
            {
                var h = t.Hits[i];
                var (x1, y1, x2, y2) = rf.UnitBox(h.Row, h.Col, 28, 28);
                var (ux1, uy1, _, _) = rf.UnitBox(h.Row, h.Col);
                var inside = images[h.ImageIndex, 0, y1..y2, x1..x2].to_type(ScalarType.Float32).div(255);
                var patch = t.Patches[i, 0, (y1 - uy1)..(y2 - uy1), (x1 - ux1)..(x2 - ux1)];
                Assert.True(patch.allclose(inside));
            }
        }
        var grid = TopActivations.Grid(tops, scale: 3);
        Assert.Equal(3, grid.shape[0]);
        Assert.Throws<ArgumentException>(() => TopActivations.Find(deconv, images, "relu1_2", new[] { 8 }));
        var e = Assert.Throws<ArgumentException>(() => TopActivations.Find(deconv, images, "relu9"));
        Assert.Contains("relu1_2", e.Message);
    }

    [Fact]
    public void FiltersAndFeatureMapGridsHaveOneTilePerMap()
    {
        using var scope = NewDisposeScope();
        using var net = DeconvnetTests.RandomVgg(22);
        var deconv = new Deconvnet(net);
        using var data = FashionMnist.LoadSample(DatasetSplit.Test);
        var maps = FeatureMaps.Grid(deconv, data.Images[0], "pool1", scale: 1); // 8 maps 14x14 -> 3 x 3 tiles with padding 1
        Assert.Equal(new long[] { 3, 3 * 15 + 1, 3 * 15 + 1 }, maps.shape);
        var filters = FeatureMaps.FirstLayerFilters(net, scale: 2); // 8 filters 3x3 -> 3 x 3 tiles of 6 px
        Assert.Equal(new long[] { 3, 3 * 7 + 1, 3 * 7 + 1 }, filters.shape);
    }
}
