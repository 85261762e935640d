using Aperture.Detection;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class DetectorEvaluationTests
{
    /// <summary>A detector that returns the ground truth (optionally shifted), to check the evaluation plumbing.</summary>
    private sealed class Oracle(IReadOnlyList<DetectionImage> images, float shift) : IObjectDetector
    {
        public string Method => "oracle";
        public IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        public bool UsesProposals => false;
        public ImageDetections Detect(Tensor image, Tensor? proposals = null)
        {
            var im = images.First(i => ReferenceEquals(i.Image, image));
            return new ImageDetections(im.Boxes.add(shift), ones(im.Boxes.shape[0]), im.Labels.clone());
        }
    }

    [Fact]
    public void PerfectDetectionsScoreOneAndShiftedOnesLess()
    {
        var scenes = DetectorScenes.Make(6, seed: 3, proposals: false);
        var perfect = DetectorEvaluation.Evaluate(new Oracle(scenes, 0), scenes);
        Assert.Equal(1.0, perfect.VocMap, 1e-6);
        Assert.Equal(1.0, perfect.CocoMap, 1e-6);
        Assert.Equal(6, perfect.Detections.Count);
        Assert.True(perfect.DetectMs >= 0);
        var shifted = DetectorEvaluation.Evaluate(new Oracle(scenes, 3), scenes);
        Assert.True(shifted.CocoMap < 0.9, $"COCO mAP of boxes shifted by 3 px: {shifted.CocoMap}");
        foreach (var s in scenes) s.Dispose();
    }

    [Fact]
    public void ProposalDetectorsNeedProposals()
    {
        var scenes = DetectorScenes.Make(1, seed: 3, proposals: false);
        var net = new Aperture.Detection.FastRcnn.FastRcnnNetwork(10, 7, 16, widths: new[] { 4, 4, 4 });
        var det = new Aperture.Detection.FastRcnn.FastRcnnDetector(net, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray(), new());
        var e = Assert.Throws<ArgumentException>(() => DetectorEvaluation.Evaluate(det, scenes));
        Assert.Contains("proposals", e.Message);
        // An empty proposal set gives no detections rather than an error.
        var d = det.Detect(scenes[0].Image, zeros(0, 4));
        Assert.Equal(0, d.Boxes.shape[0]);
    }

    [Fact]
    public void ProposalCacheRoundTripsThroughItsFile()
    {
        var scenes = DetectorScenes.Make(3, seed: 4, proposals: false);
        using var dir = new Aperture.Tests.Data.TempDir();
        int calls = 0;
        var source = new DelegateProposalSource("toy", img => { Interlocked.Increment(ref calls); return tensor(new float[] { 1, 2, 30, 40, 0, 0, 64, 64 }, new long[] { 2, 4 }); });
        string file = dir.File("p.json");
        ProposalCache.Attach(scenes, source, file);
        Assert.Equal(3, calls);
        ProposalCache.Attach(scenes, source, file);
        Assert.Equal(3, calls); // read back, not recomputed
        Assert.Equal(new float[] { 1, 2, 30, 40, 0, 0, 64, 64 }, scenes[2].Proposals!.reshape(-1).data<float>().ToArray());
        var other = new DelegateProposalSource("other", img => zeros(0, 4));
        Assert.Throws<InvalidDataException>(() => ProposalCache.Attach(scenes, other, file));
    }
}
