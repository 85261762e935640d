using Aperture.Localization;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Tests.Localization;

public class HeatmapBoxesTests
{
    [Fact]
    public void BoxIsAroundTheLargestComponentAboveTwentyPercent()
    {
        using var scope = NewDisposeScope();
        var map = zeros(20, 30);
        map[2..5, 3..6] = 10;          // small but brightest blob: 9 pixels
        map[10..16, 12..25] = 3;       // large, dimmer blob: 78 pixels, above 20% of 10
        map[0, 29] = 1.9f;             // below the threshold (2.0)
        var box = HeatmapBoxes.FromHeatmap(map);
        Assert.Equal(new Box(12, 10, 25, 16), box);
        map[10..16, 12..25] = 1.99f;   // now below 20%: the bright blob wins
        Assert.Equal(new Box(3, 2, 6, 5), HeatmapBoxes.FromHeatmap(map));
        map[10..16, 12..25] = 2.0f;    // exactly 20% counts
        Assert.Equal(new Box(12, 10, 25, 16), HeatmapBoxes.FromHeatmap(map));
    }

    [Fact]
    public void DiagonalNeighboursAreConnected()
    {
        using var scope = NewDisposeScope();
        var map = zeros(10, 10);
        for (int i = 0; i < 6; i++) map[i + 2, i + 1] = 5; // a diagonal line: one component under 8-connectivity
        map[0, 8] = 5; map[0, 9] = 5; map[1, 8] = 5;         // three 4-connected pixels
        Assert.Equal(new Box(1, 2, 7, 8), HeatmapBoxes.FromHeatmap(map));
        var half = HeatmapBoxes.FromHeatmap(map, fraction: 1.0);
        Assert.Equal(new Box(1, 2, 7, 8), half);
    }

    [Fact]
    public void NegativeAndEmptyMapsGiveNoBox()
    {
        using var scope = NewDisposeScope();
        Assert.Null(HeatmapBoxes.FromHeatmap(zeros(5, 5)));
        Assert.Null(HeatmapBoxes.FromHeatmap(full(5, 5, -1f)));
        var m = full(5, 5, -1f);
        m[4, 4] = 0.5f; // negative values never pass a positive threshold
        Assert.Equal(new Box(4, 4, 5, 5), HeatmapBoxes.FromHeatmap(m));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeatmapBoxes.FromHeatmap(m, 0));
        Assert.Throws<ArgumentException>(() => HeatmapBoxes.FromHeatmap(zeros(5)));
    }

    [Fact]
    public void ScoreCountsMatchesOfThePredictedClassAndBothBaselines()
    {
        var score = new LocalizationScore();
        // One object filling most of the image: the full image matches, the centre box (25% area) does not.
        Assert.True(score.Add(2, new Box(1, 1, 27, 27), new[] { (new Box(0, 0, 28, 26), 2) }, 28, 28));
        // Right box, wrong class: wrong.
        Assert.False(score.Add(3, new Box(1, 1, 27, 27), new[] { (new Box(0, 0, 28, 26), 2) }, 28, 28));
        // Two objects: the box matches the second object of the predicted class; the centre box matches the first.
        var scene = new[] { (new Box(25, 25, 75, 75), 1), (new Box(0, 0, 30, 30), 4) };
        Assert.True(score.Add(4, new Box(0, 0, 28, 32), scene, 100, 100));
        Assert.False(score.Add(4, null, scene, 100, 100));
        Assert.Equal(4, score.Count);
        Assert.Equal(2, score.Correct);
        Assert.Equal(0.5, score.Accuracy);
        Assert.Equal(1, score.FullImageCorrect);  // only image 1 (image 2 has the wrong class)
        Assert.Equal(0, score.CentreCorrect);     // the centre box matches object 1 of class 1, never predicted
        var agnostic = new LocalizationScore(classAgnostic: true);
        agnostic.Add(4, null, scene, 100, 100);
        Assert.Equal(1, agnostic.CentreCorrect);
    }
}
