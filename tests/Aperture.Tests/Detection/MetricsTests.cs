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
