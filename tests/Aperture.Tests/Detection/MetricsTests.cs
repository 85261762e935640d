using Aperture.Detection;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class MetricsTests
{
    private static Tensor B(params float[] v) => tensor(v, new long[] { v.Length / 4, 4 });

    [Fact]
    public void PerfectDetectionsHaveApOne()
    {
        var truth = new[] { new ImageTruth(B(0, 0, 10, 10, 20, 20, 40, 40), tensor(new long[] { 0, 1 })) };
        var dets = new[] { new ImageDetections(B(0, 0, 10, 10, 20, 20, 40, 40), tensor(new float[] { 0.9f, 0.8f }), tensor(new long[] { 0, 1 })) };
        Assert.Equal(1.0, DetectionMetrics.VocMap(dets, truth, 2).Mean, 1e-9);
        Assert.Equal(1.0, DetectionMetrics.VocMap(dets, truth, 2, elevenPoint: true).Mean, 1e-9);
        Assert.Equal(1.0, DetectionMetrics.CocoMap(dets, truth, 2).Mean, 1e-9);
    }

    [Fact]
    public void FalsePositiveFirstHalvesVocAp()
    {
        // One object; a higher-scored miss then a hit: precision 1/2 at recall 1.
        var truth = new[] { new ImageTruth(B(0, 0, 10, 10), tensor(new long[] { 0 })) };
        var dets = new[] { new ImageDetections(B(50, 50, 60, 60, 0, 0, 10, 10), tensor(new float[] { 0.9f, 0.8f }), tensor(new long[] { 0, 0 })) };
        Assert.Equal(0.5, DetectionMetrics.VocMap(dets, truth, 1).Mean, 1e-9);
        Assert.Equal(0.5, DetectionMetrics.VocMap(dets, truth, 1, elevenPoint: true).Mean, 1e-9);
        // A duplicate detection of an already matched object is a false positive.
        var dup = new[] { new ImageDetections(B(0, 0, 10, 10, 0, 0, 10, 10), tensor(new float[] { 0.9f, 0.8f }), tensor(new long[] { 0, 0 })) };
        Assert.Equal(1.0, DetectionMetrics.VocMap(dup, truth, 1).Mean, 1e-9);
    }

    [Fact]
    public void HalfRecallGivesKnownApValues()
    {
        var truth = new[] { new ImageTruth(B(0, 0, 10, 10, 20, 20, 30, 30), tensor(new long[] { 0, 0 })) };
        var dets = new[] { new ImageDetections(B(0, 0, 10, 10), tensor(new float[] { 0.9f }), tensor(new long[] { 0 })) };
        Assert.Equal(0.5, DetectionMetrics.VocMap(dets, truth, 1).Mean, 1e-9);
        Assert.Equal(6.0 / 11, DetectionMetrics.VocMap(dets, truth, 1, elevenPoint: true).Mean, 1e-9);
        // COCO: recall 0.5 at precision 1 covers recall points 0.00..0.50, 51 of 101.
        Assert.Equal(51.0 / 101, DetectionMetrics.CocoMap(dets, truth, 1).Mean, 1e-9);
    }

    [Fact]
    public void CocoAveragesOverIouThresholds()
    {
        // Detection with IoU 0.8 with its object: a hit at thresholds 0.50..0.80 (7 of 10).
        var truth = new[] { new ImageTruth(B(0, 0, 10, 10), tensor(new long[] { 0 })) };
        var dets = new[] { new ImageDetections(B(0, 0, 10, 8), tensor(new float[] { 0.9f }), tensor(new long[] { 0 })) };
        Assert.Equal(0.7, DetectionMetrics.CocoMap(dets, truth, 1).Mean, 1e-9);
        // Difficult objects neither help nor hurt VOC AP.
        var hard = new[] { new ImageTruth(B(0, 0, 10, 10, 50, 50, 60, 60), tensor(new long[] { 0, 0 }), tensor(new[] { false, true })) };
        var both = new[] { new ImageDetections(B(50, 50, 60, 60, 0, 0, 10, 10), tensor(new float[] { 0.9f, 0.5f }), tensor(new long[] { 0, 0 })) };
        Assert.Equal(1.0, DetectionMetrics.VocMap(both, hard, 1).Mean, 1e-9);
        Assert.True(double.IsNaN(DetectionMetrics.VocMap(both, hard, 2).PerClass[1]));
    }

    [Fact]
    public void BootstrapIntervalHasKnownEnds()
    {
        // One image: every draw is that image, so the interval is the point.
        var truthA = new ImageTruth(B(0, 0, 10, 10), tensor(new long[] { 0 }));
        var hitA = new ImageDetections(B(0, 0, 10, 10), tensor(new float[] { 0.9f }), tensor(new long[] { 0 }));
        Assert.Equal((1.0, 1.0), DetectionMetrics.VocMapInterval([hitA], [truthA], 1));
        // A found object and a missed one: draws score 1 (both the first), 0.5 (one each) or 0 (both the second), a quarter,
        // half and a quarter of the time; the middle 95% runs from 0 to 1, the middle 40% is 0.5.
        var truthB = new ImageTruth(B(20, 20, 30, 30), tensor(new long[] { 0 }));
        var dets = new[] { hitA, ImageDetections.Empty() };
        var truths = new[] { truthA, truthB };
        Assert.Equal(0.5, DetectionMetrics.VocMap(dets, truths, 1).Mean, 1e-9);
        Assert.Equal((0.0, 1.0), DetectionMetrics.VocMapInterval(dets, truths, 1));
        Assert.Equal((0.5, 0.5), DetectionMetrics.VocMapInterval(dets, truths, 1, level: 0.4));
        Assert.Equal(DetectionMetrics.VocMapInterval(dets, truths, 1, seed: 3), DetectionMetrics.VocMapInterval(dets, truths, 1, seed: 3));
    }

    [Fact]
    public void BootstrapIntervalNarrowsWithMoreImages()
    {
        // 20 images, one object each, found in 14; then the same images four times over: the spread of a mean over
        // four times the images is half as wide (1/√4).
        var truths = Enumerable.Range(0, 20).Select(_ => new ImageTruth(B(0, 0, 10, 10), tensor(new long[] { 0 }))).ToList();
        var dets = Enumerable.Range(0, 20).Select(i => i < 14
            ? new ImageDetections(B(0, 0, 10, 10), tensor(new float[] { 0.5f + i / 100f }), tensor(new long[] { 0 }))
            : new ImageDetections(B(50, 50, 60, 60), tensor(new float[] { 0.6f }), tensor(new long[] { 0 }))).ToList();
        var (lo, hi) = DetectionMetrics.VocMapInterval(dets, truths, 1);
        double ap = DetectionMetrics.VocMap(dets, truths, 1).Mean;
        Assert.InRange(ap, lo, hi);
        Assert.InRange(hi - lo, 0.2, 0.8);
        var (lo4, hi4) = DetectionMetrics.VocMapInterval([.. dets, .. dets, .. dets, .. dets], [.. truths, .. truths, .. truths, .. truths], 1);
        Assert.InRange((hi4 - lo4) / (hi - lo), 0.35, 0.65);
        Assert.Throws<ArgumentOutOfRangeException>(() => DetectionMetrics.VocMapInterval(dets, truths, 1, level: 1));
    }

    [Fact]
    public void ProposalRecallAndMabo()
    {
        var truth = new[] { B(0, 0, 10, 10, 20, 20, 40, 40) };
        var props = new[] { B(0, 0, 10, 4, 20, 20, 40, 40, 0, 0, 10, 10) };
        Assert.Equal(new[] { 0.0, 0.5, 1.0 }, ProposalMetrics.Recall(props, truth, new[] { 1, 2, 3 }));
        Assert.Equal((0.4 + 1.0) / 2, ProposalMetrics.Mabo(props, truth, count: 2), 1e-6);
        // By class: class 0 has ABO (0.4 + 1) / 2 over two boxes, class 1 has 1: MABO 0.85, not the box mean 0.8.
        var truth3 = new[] { B(0, 0, 10, 10, 20, 20, 40, 40, 50, 50, 60, 60) };
        var props3 = new[] { B(0, 0, 10, 4, 20, 20, 40, 40, 50, 50, 60, 60) };
        Assert.Equal(0.85, ProposalMetrics.Mabo(props3, truth3, new[] { tensor(new long[] { 0, 0, 1 }) }), 1e-6);
        // No proposals: recall 0, not an error.
        Assert.Equal(new[] { 0.0 }, ProposalMetrics.Recall(new[] { zeros(0, 4) }, truth, new[] { 10 }));
        Assert.Throws<ArgumentException>(() => ProposalMetrics.Recall(props, truth, new[] { 0 }));
    }
}
