using Aperture.Segmentation;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

/// <summary>The loss and the scores of segmentation on small hand-computed masks.</summary>
public class SegmentationMetricsTests
{
    [Fact]
    public void CrossEntropyIgnoresVoidPixelsAndWeighsClasses()
    {
        // One image, K = 2, 1x2 pixels: pixel 0 has logits (0, ln 3) → p(1) = 3/4; pixel 1 has logits (0, 0).
        using var logits = tensor(new float[] { 0, 0, MathF.Log(3), 0 }, new long[] { 1, 2, 1, 2 }).requires_grad_(true);
        using var ignored = tensor(new long[] { 1, 255 }, new long[] { 1, 1, 2 });
        using var loss = PixelCrossEntropy.Compute(logits, ignored);
        Assert.Equal(-Math.Log(0.75), loss.item<float>(), 1e-5);
        loss.backward();
        var g = logits.grad!.data<float>().ToArray();   // [1, 2, 1, 2] → channel-major: (c0 p0, c0 p1, c1 p0, c1 p1)
        Assert.Equal(0f, g[1]);
        Assert.Equal(0f, g[3]);
        Assert.Equal(0.25f, g[0], 1e-5);    // softmax − one-hot for pixel 0: p = (1/4, 3/4), label 1
        Assert.Equal(-0.25f, g[2], 1e-5);
        using var both = tensor(new long[] { 1, 0 }, new long[] { 1, 1, 2 });
        using var weights = tensor(new float[] { 1, 2 });
        using var weighted = PixelCrossEntropy.Compute(logits.detach(), both, weights);
        Assert.Equal((2 * -Math.Log(0.75) + Math.Log(2)) / 3, weighted.item<float>(), 1e-5);
    }

    [Fact]
    public void CrossEntropyRejectsALabelOutsideTheClasses()
    {
        using var logits = zeros(1, 3, 2, 2);
        using var target = tensor(new long[] { 0, 1, 2, 7 }, new long[] { 1, 2, 2 });
        var e = Assert.Throws<ArgumentException>(() => PixelCrossEntropy.Compute(logits, target));
        Assert.Contains("label 7", e.Message);
    }

    [Fact]
    public void TheFourFcnScoresFollowThePapersDefinitions()
    {
        // truth 0 0 1 1 2 void; prediction 0 1 1 1 0 2: n00 = 1, n01 = 1, n11 = 2, n20 = 1 (the void pixel is not counted).
        var m = new PixelConfusion(4);
        m.Add(new byte[] { 0, 0, 1, 1, 2, 255 }, new byte[] { 0, 1, 1, 1, 0, 2 });
        Assert.Equal(1, m[0, 0]); Assert.Equal(1, m[0, 1]); Assert.Equal(2, m[1, 1]); Assert.Equal(1, m[2, 0]); Assert.Equal(5, m.Total);
        Assert.Equal(3.0 / 5, m.PixelAccuracy(), 12);
        Assert.Equal((0.5 + 1 + 0) / 3, m.MeanAccuracy(), 12);         // class 3 never true: left out
        Assert.Equal((1.0 / 3 + 2.0 / 3 + 0) / 3, m.MeanIoU(), 12);    // IU: 1/(2+2-1), 2/(2+3-2), 0/(1+0-0)
        Assert.Equal((2 * (1.0 / 3) + 2 * (2.0 / 3) + 1 * 0) / 5, m.FrequencyWeightedIoU(), 12);
        Assert.True(double.IsNaN(m.ClassIoU(3)));
    }

    [Fact]
    public void APredictedClassThatIsNeverTrueHasIoUZero()
    {
        var m = new PixelConfusion(3);
        m.Add(new byte[] { 0, 0, 1, 1 }, new byte[] { 0, 2, 1, 1 });
        Assert.Equal(0, m.ClassIoU(2));
        Assert.Equal((0.5 + 1 + 0) / 3, m.MeanIoU(), 12);
        Assert.Equal((0.5 + 1) / 2, m.MeanAccuracy(), 12);
    }

    private static byte[] Square(int w, int h, int x1, int y1, int side, byte c)
    {
        var m = new byte[w * h];
        for (int y = y1; y < y1 + side; y++)
            for (int x = x1; x < x1 + side; x++) m[y * w + x] = c;
        return m;
    }

    [Fact]
    public void BoundaryF1CountsContourPixelsWithinTheTolerance()
    {
        // A 3x3 square of class 1 at (1, 1) in a 7x6 image; the prediction is shifted one pixel right.
        var truth = Square(7, 6, 1, 1, 3, 1);
        var shifted = Square(7, 6, 2, 1, 3, 1);
        Assert.Equal(1.0, BoundaryF1.Score(truth, truth, 7, 6, 2), 12);
        Assert.Equal(1.0, BoundaryF1.Score(truth, shifted, 7, 6, 2, tolerance: 2), 12);
        // Tolerance 0: the two 8-pixel rings share (2,1), (3,1), (2,3), (3,3): P = R = 4/8.
        var f = BoundaryF1.PerClass(truth, shifted, 7, 6, 2, tolerance: 0);
        Assert.Equal(0.5, f[1], 12);
        // Shifted two pixels, tolerance 1 (diagonals are √2 away): of the predicted ring x = 3..5 the column x = 5 misses
        // (3 pixels), of the true ring x = 1..3 the column x = 1: P = R = 5/8.
        var far = Square(7, 6, 3, 1, 3, 1);
        Assert.Equal(5.0 / 8, BoundaryF1.PerClass(truth, far, 7, 6, 2, tolerance: 1)[1], 12);
    }

    [Fact]
    public void BoundaryF1TreatsAbsentAndOneSidedClassesAsDocumented()
    {
        var truth = Square(6, 6, 1, 1, 3, 1);
        var predicted = Square(6, 6, 1, 1, 3, 2);   // right place, wrong class
        var f = BoundaryF1.PerClass(truth, predicted, 6, 6, 4);
        Assert.Equal(1.0, f[0], 12);        // background's contour is where it was
        Assert.Equal(0.0, f[1]);            // true but never predicted
        Assert.Equal(0.0, f[2]);            // predicted but never true
        Assert.True(double.IsNaN(f[3]));    // absent from both: left out
        Assert.Equal(1.0 / 3, BoundaryF1.Score(truth, predicted, 6, 6, 4), 12);
        var all = new BoundaryF1();
        all.Add(truth, truth, 6, 6, 4);
        all.Add(truth, predicted, 6, 6, 4);
        Assert.Equal((1 + 1.0 / 3) / 2, all.Mean, 12);
        Assert.Equal(2, all.Images);
    }

    [Fact]
    public void BoundaryF1DoesNotCountPredictedContoursOnVoidPixels()
    {
        var truth = new byte[36];
        for (int x = 0; x < 6; x++) truth[2 * 6 + x] = 255;        // a void row
        var predicted = Square(6, 6, 0, 2, 1, 1);                    // one class-1 pixel, on the void row
        var f = BoundaryF1.PerClass(truth, predicted, 6, 6, 2);
        Assert.True(double.IsNaN(f[1]));
    }

    [Fact]
    public void MedianFrequencyWeightsFollowEigenAndFergus()
    {
        // Image 1 (4 px): 3 background, 1 class 1. Image 2 (4 px): 2 background, 1 class 2, 1 ignored (3 counted).
        // f0 = 5 / 7, f1 = 1 / 4, f2 = 1 / 3; class 3 absent → weight 1. Median of (1/4, 1/3, 5/7) = 1/3.
        using var a = new SegmentationImage("a", "a.png", zeros(3, 2, 2, ScalarType.Byte), tensor(new byte[] { 0, 0, 0, 1 }, new long[] { 2, 2 }));
        using var b = new SegmentationImage("b", "b.png", zeros(3, 2, 2, ScalarType.Byte), tensor(new byte[] { 0, 0, 2, 255 }, new long[] { 2, 2 }));
        var w = SegmentationData.MedianFrequencyWeights([a, b], 4);
        Assert.Equal((1.0 / 3) / (5.0 / 7), w[0], 1e-5);
        Assert.Equal((1.0 / 3) / (1.0 / 4), w[1], 1e-5);
        Assert.Equal(1.0, w[2], 1e-5);
        Assert.Equal(1f, w[3]);
    }
}
