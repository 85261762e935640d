using Aperture.Detection;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>The example figures' per-image matching: what their captions count and how images are ranked.</summary>
public class DetectionExamplesTests
{
    private static DetectionImage Scene() => new("s", zeros(3, 64, 64, ScalarType.Byte),
        tensor(new float[] { 4, 4, 24, 24, 30, 30, 60, 60 }, new long[] { 2, 4 }), tensor(new long[] { 1, 2 }));

    private static ImageDetections Dets(float[] boxes, float[] scores, long[] labels) =>
        new(tensor(boxes, new long[] { scores.Length, 4 }), tensor(scores), tensor(labels));

    [Fact]
    public void CountsRightWrongAndMissedBestScoreFirst()
    {
        using var truth = Scene();
        // On object 1: a right box (0.6) and a duplicate scoring higher (0.9) — the better-scored one is the match, the
        // other a duplicate; on object 2 the wrong class; one box on nothing; one below the threshold.
        var d = Dets(new float[] { 5, 5, 24, 24, 4, 4, 23, 23, 30, 30, 60, 60, 40, 0, 60, 20, 30, 30, 60, 60 },
            new float[] { 0.6f, 0.9f, 0.8f, 0.7f, 0.2f }, new long[] { 1, 1, 5, 3, 2 });
        var o = DetectionExamples.Match(d, truth, threshold: 0.5);
        Assert.Equal(new DetectionExamples.Outcome(Right: 1, Wrong: 3, Missed: 1), o);
        Assert.Equal(2.0 / 6, o.F1, 12);
        // Lowering the threshold brings in the right box for object 2.
        Assert.Equal(new DetectionExamples.Outcome(2, 3, 0), DetectionExamples.Match(d, truth, threshold: 0.1));
        // Nothing detected on an empty image is perfect; nothing detected on objects is F1 0.
        Assert.Equal(1, new DetectionExamples.Outcome(0, 0, 0).F1);
        Assert.Equal(0, DetectionExamples.Match(ImageDetections.Empty(), truth, 0.5).F1);
    }

    [Fact]
    public void FiguresDrawFromTheMethodsThresholdUnlessALowerScoreHasTheBetterF1()
    {
        using var truth = Scene();
        var boxes = new float[] { 4, 4, 24, 24, 30, 30, 60, 60, 40, 0, 60, 20 };
        // Under-trained: both objects found with the right class but at low scores, one box on nothing lower still.
        // At 0.5 nothing would be drawn (F1 0); 0.25 keeps both right ones and not the wrong one (F1 1).
        var weak = Dets(boxes, new float[] { 0.3f, 0.25f, 0.1f }, new long[] { 1, 2, 3 });
        var weakScore = new DetectorScore("m", 1, 0, 0, [], 0, 0, [weak]);
        Assert.Equal(0.25, DetectionExamples.DisplayThreshold(weakScore, [truth], preferred: 0.5), 1e-6);
        // Confident: the method's threshold stays, even where a lower one would do as well.
        var sure = Dets(boxes, new float[] { 0.9f, 0.8f, 0.1f }, new long[] { 1, 2, 3 });
        Assert.Equal(0.5, DetectionExamples.DisplayThreshold(new DetectorScore("m", 1, 0, 0, [], 0, 0, [sure]), [truth], preferred: 0.5));
        // An image without objects or detections leaves it too.
        using var empty = new DetectionImage("e", zeros(3, 64, 64, ScalarType.Byte), zeros(0, 4), zeros(0, ScalarType.Int64));
        Assert.Equal(0.5, DetectionExamples.DisplayThreshold(new DetectorScore("m", 1, 0, 0, [], 0, 0, [ImageDetections.Empty()]), [empty], 0.5));
    }
}
