using System.Diagnostics;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// Scores a segmenter on held-out images with every metric of the family: the FCN paper's four (<see cref="PixelConfusion"/>)
/// and boundary F1 (<see cref="Segmentation.BoundaryF1"/>), each image run through <see cref="SegmentationInference"/>.
/// </summary>
public static class SegmentationEvaluation
{
    /// <summary>Scores <paramref name="network"/> on <paramref name="images"/>.</summary>
    /// <param name="network">An <see cref="ISegmentationNetwork"/> in eval mode.</param>
    /// <param name="images">Held-out images with masks.</param>
    /// <param name="classes">K, background included.</param>
    /// <param name="mean">Per-channel mean.</param>
    /// <param name="std">Per-channel standard deviation.</param>
    /// <param name="tolerance">Boundary F1 tolerance in pixels.</param>
    /// <param name="inference">Padding and tiling; null for the defaults.</param>
    /// <returns>The score and each image's predicted labels <c>uint8 [H, W]</c> (the caller disposes them).</returns>
    public static (SegmentationScore Score, IReadOnlyList<Tensor> Predictions) Evaluate(nn.Module<Tensor, Tensor> network, IReadOnlyList<SegmentationImage> images,
        int classes, float[] mean, float[] std, double tolerance = 2, SegmentationInference? inference = null)
    {
        inference ??= new SegmentationInference();
        network.eval();
        var confusion = new PixelConfusion(classes);
        var bf = new BoundaryF1(tolerance);
        var predictions = new List<Tensor>(images.Count);
        var clock = new Stopwatch();
        foreach (var im in images)
        {
            clock.Start();
            var labels = inference.Labels(network, im.Image, mean, std);
            clock.Stop();
            var p = labels.data<byte>().ToArray();
            var t = im.MaskBytes();
            confusion.Add(t, p);
            bf.Add(t, p, im.Width, im.Height, classes);
            predictions.Add(labels.DetachFromDisposeScope());
        }
        var score = new SegmentationScore(confusion.PixelAccuracy(), confusion.MeanAccuracy(), confusion.MeanIoU(), confusion.FrequencyWeightedIoU(),
            bf.Mean, tolerance, Enumerable.Range(0, classes).Select(c => double.IsNaN(confusion.ClassIoU(c)) ? (double?)null : confusion.ClassIoU(c)).ToList(),
            images.Count == 0 ? 0 : clock.Elapsed.TotalMilliseconds / images.Count, images.Count);
        return (score, predictions);
    }
}
