using Aperture.Classification;
using static TorchSharp.torch;

namespace Aperture.Tests.Classification;

public class ConfusionMatrixTests
{
    [Fact]
    public void CountsPairsAndReadsAccuracies()
    {
        var cm = new ConfusionMatrix(new[] { "a", "b", "c" });
        cm.Add(tensor(new long[] { 0, 0, 1, 2, 2, 2 }), tensor(new long[] { 0, 1, 1, 2, 0, 2 }));
        cm.Add(tensor(new long[] { 1 }), tensor(new long[] { 2 }));
        Assert.Equal(7, cm.Total);
        Assert.Equal(1, cm[0, 0]);
        Assert.Equal(1, cm[0, 1]);
        Assert.Equal(1, cm[1, 2]);
        Assert.Equal(1, cm[2, 0]);
        Assert.Equal(4.0 / 7, cm.Accuracy, 12);
        Assert.Equal(new[] { 0.5, 0.5, 2.0 / 3 }, cm.PerClassAccuracy());
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        var cm = new ConfusionMatrix(new[] { "a", "b" });
        Assert.Throws<ArgumentException>(() => cm.Add(tensor(new long[] { 0, 2 }), tensor(new long[] { 0, 1 })));
    }
}
