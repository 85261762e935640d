using Aperture.Generative.ContextEncoders;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class InpaintingBaselinesTests
{
    [Fact]
    public void TheNearestNeighbourIsChosenByTheContextOnlyAndItsPixelsArePasted()
    {
        using var scope = NewDisposeScope();
        // Three training images of 4 pixels; the last pixel is the hole.
        var train = tensor(new float[] { 0, 0, 0, 9,   1, 1, 1, 5,   0.9f, 1, 1.1f, 0 }, [3, 1, 1, 4]);
        var query = tensor(new float[] { 1, 1, 1, 0 }, [1, 1, 1, 4]);   // its hole equals image 2's, but image 1's context matches exactly
        var mask = tensor(new float[] { 0, 0, 0, 1 }, [1, 1, 1, 4]);
        Assert.Equal(1L, InpaintingBaselines.NearestIndices(train.reshape(3, 4), query.reshape(1, 4), mask.reshape(1, 4)).item<long>());
        var filled = InpaintingBaselines.NearestNeighbourFill(query, mask, train);
        Assert.Equal(new float[] { 1, 1, 1, 5 }, filled.data<float>().ToArray());
    }

    [Fact]
    public void TheSearchAcrossBlocksFindsTheSameNeighbourAsBruteForce()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var train = rand([InpaintingBaselines.Block + 300, 16], generator: g);
        var queries = rand([20, 16], generator: g);
        var mask = rand([20, 16], generator: g).lt(0.3).to(ScalarType.Float32);
        var context = 1 - mask;
        var brute = ((queries.unsqueeze(1) - train.unsqueeze(0)).square() * context.unsqueeze(1)).sum(2).argmin(1);
        Assert.Equal(brute.data<long>().ToArray(), InpaintingBaselines.NearestIndices(train, queries, mask).data<long>().ToArray());
    }

    [Fact]
    public void TheMeanFillKeepsTheContext()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 2, 2]);
        var mask = tensor(new float[] { 0, 1, 1, 0 }, [1, 1, 2, 2]);
        var mean = full(1, 1, 2, 2, 0.5f);
        Assert.Equal(new float[] { 1, 0.5f, 0.5f, 4 }, InpaintingBaselines.MeanFill(x, mask, mean).data<float>().ToArray());
    }
}
