using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>A trained detector: an image in, scored and labelled boxes out.</summary>
public interface IObjectDetector
{
    /// <summary>Method name, e.g. <c>sliding</c>, <c>rcnn</c>, <c>fast-rcnn</c>.</summary>
    string Method { get; }

    /// <summary>Object class names, indexed by label (background is not a class).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>True when <see cref="Detect"/> needs proposals (R-CNN, Fast R-CNN).</summary>
    bool UsesProposals { get; }

    /// <summary>
    /// Detects objects in an RGB image <c>uint8 [3, H, W]</c>. <paramref name="proposals"/> <c>float32 [P, 4]</c> are
    /// required when <see cref="UsesProposals"/>, ignored otherwise. Returns detections after per-class NMS, best first.
    /// </summary>
    ImageDetections Detect(Tensor image, Tensor? proposals = null);
}

/// <summary>Shared test-time post-processing: score threshold, per-class NMS, cap per image.</summary>
public static class PerClassNms
{
    /// <summary>
    /// Turns per-class boxes and scores into detections: keeps (box, class) pairs scoring above
    /// <paramref name="scoreThreshold"/>, runs NMS per class at <paramref name="iouThreshold"/>, and keeps the
    /// <paramref name="maxDetections"/> best.
    /// </summary>
    /// <param name="boxes">Boxes <c>float32 [R, C, 4]</c> (one per region and class) or <c>[R, 4]</c> (shared by all classes).</param>
    /// <param name="scores">Scores <c>float32 [R, C]</c>.</param>
    /// <param name="scoreThreshold">Lowest score kept.</param>
    /// <param name="iouThreshold">NMS overlap threshold.</param>
    /// <param name="maxDetections">Most detections returned.</param>
    /// <param name="width">Image width (boxes are clipped to it).</param>
    /// <param name="height">Image height.</param>
    public static ImageDetections Apply(Tensor boxes, Tensor scores, double scoreThreshold, double iouThreshold, int maxDetections, int width, int height)
    {
        using var scope = NewDisposeScope();
        long r = scores.shape[0], c = scores.shape[1];
        var b = boxes.dim() == 2 ? boxes.unsqueeze(1).expand(r, c, 4) : boxes;
        var flatBoxes = Boxes.Clip(b.reshape(-1, 4).to_type(ScalarType.Float32).cpu(), width, height);
        var flatScores = scores.reshape(-1).to_type(ScalarType.Float32).cpu();
        var flatLabels = arange(c, dtype: ScalarType.Int64).repeat(r);
        var keep = flatScores.gt(scoreThreshold)
            .logical_and(flatBoxes[.., 2].gt(flatBoxes[.., 0])).logical_and(flatBoxes[.., 3].gt(flatBoxes[.., 1]));
        var idx = nonzero(keep).reshape(-1);
        // Pre-NMS cap keeps NMS cheap on thousands of candidates.
        if (idx.shape[0] > 4000)
        {
            var top = flatScores.index_select(0, idx).topk(4000).indexes;
            idx = idx.index_select(0, top);
        }
        var kb = flatBoxes.index_select(0, idx); var ks = flatScores.index_select(0, idx); var kl = flatLabels.index_select(0, idx);
        var kept = Boxes.BatchedNms(kb, ks, kl, iouThreshold);
        if (kept.shape[0] > maxDetections) kept = kept.narrow(0, 0, maxDetections);
        return new ImageDetections(
            kb.index_select(0, kept).MoveToOuterDisposeScope(),
            ks.index_select(0, kept).MoveToOuterDisposeScope(),
            kl.index_select(0, kept).MoveToOuterDisposeScope());
    }
}
