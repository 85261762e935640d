using System.Diagnostics;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>A detector's accuracy and speed on a set of images.</summary>
/// <param name="Method">Detector method.</param>
/// <param name="Images">Images evaluated.</param>
/// <param name="VocMap">Pascal VOC mAP at IoU 0.5 (all-point).</param>
/// <param name="CocoMap">COCO mAP over IoU 0.50:0.95.</param>
/// <param name="PerClassAp">VOC AP per class (NaN where a class has no ground truth).</param>
/// <param name="DetectMs">Mean detection time per image, proposals excluded, in milliseconds.</param>
/// <param name="ProposalMs">Mean proposal time per image in milliseconds (0 for a detector without proposals, NaN if unknown).</param>
/// <param name="Detections">Detections per image (CPU tensors the caller owns; <see cref="DisposeDetections"/> frees them).</param>
public sealed record DetectorScore(string Method, int Images, double VocMap, double CocoMap, double[] PerClassAp, double DetectMs, double ProposalMs,
    IReadOnlyList<ImageDetections> Detections)
{
    /// <summary>Time per image with proposals.</summary>
    public double TotalMs => DetectMs + (double.IsNaN(ProposalMs) ? 0 : ProposalMs);

    /// <summary>Frees the detection tensors.</summary>
    public void DisposeDetections()
    {
        foreach (var d in Detections) { d.Boxes.Dispose(); d.Scores.Dispose(); d.Labels.Dispose(); }
    }
}

/// <summary>Runs a detector over held-out images, timing it, and scores the detections (VOC and COCO mAP).</summary>
public static class DetectorEvaluation
{
    /// <summary>
    /// Detects in every image (proposals from <see cref="DetectionImage.Proposals"/> when the detector uses them) and
    /// scores the result. The first image is run once untimed as a warm-up.
    /// </summary>
    /// <param name="detector">The detector.</param>
    /// <param name="images">Test images (with proposals attached for R-CNN and Fast R-CNN).</param>
    /// <param name="proposalMs">Measured proposal time per image (from <see cref="ProposalCache.Attach"/>), or NaN.</param>
    public static DetectorScore Evaluate(IObjectDetector detector, IReadOnlyList<DetectionImage> images, double proposalMs = double.NaN)
    {
        if (images.Count == 0) throw new ArgumentException("no images to evaluate on");
        if (detector.UsesProposals)
            foreach (var im in images)
                if (im.Proposals is null) throw new ArgumentException($"image '{im.Id}': {detector.Method} needs proposals; attach them first (ProposalCache.Attach)");
        using (NewDisposeScope()) detector.Detect(images[0].Image, images[0].Proposals);
        var detections = new List<ImageDetections>();
        var sw = new Stopwatch();
        foreach (var im in images)
        {
            using var scope = NewDisposeScope();
            sw.Start();
            var d = detector.Detect(im.Image, detector.UsesProposals ? im.Proposals : null);
            sw.Stop();
            detections.Add(new ImageDetections(d.Boxes.DetachFromDisposeScope(), d.Scores.DetachFromDisposeScope(), d.Labels.DetachFromDisposeScope()));
        }
        var truths = images.Select(i => i.Truth).ToList();
        int k = detector.ClassNames.Count;
        var voc = DetectionMetrics.VocMap(detections, truths, k);
        var coco = DetectionMetrics.CocoMap(detections, truths, k);
        return new DetectorScore(detector.Method, images.Count, voc.Mean, coco.Mean, voc.PerClass,
            sw.Elapsed.TotalMilliseconds / images.Count, detector.UsesProposals ? proposalMs : 0, detections);
    }
}
