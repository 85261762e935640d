using Aperture.Generative.Transfer;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class LabelDrawTests
{
    [Fact]
    public void DrawsAreClassBalancedSeededAndWithoutRepeats()
    {
        using var scope = NewDisposeScope();
        var labels = arange(0, 1000, dtype: ScalarType.Int64).remainder(10);
        var a = LabelDraw.ClassBalanced(labels, 10, 103, seed: 1);
        var b = LabelDraw.ClassBalanced(labels, 10, 103, seed: 1);
        var c = LabelDraw.ClassBalanced(labels, 10, 103, seed: 2);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
        var idx = a.data<long>().ToArray();
        Assert.Equal(103, idx.Distinct().Count());
        var perClass = labels.index_select(0, a).bincount(null, 10).data<long>().ToArray();
        Assert.All(perClass, n => Assert.InRange(n, 10, 11));
        Assert.Equal(3, perClass.Count(n => n == 11));
        Assert.Throws<ArgumentException>(() => LabelDraw.ClassBalanced(labels, 10, 2000, 1)); // 200 per class, only 100 exist
    }
}
