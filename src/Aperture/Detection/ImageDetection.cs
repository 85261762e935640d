using System.Diagnostics;
using Aperture.Imaging;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>One detected object.</summary>
/// <param name="Class">Class name.</param>
/// <param name="Score">Score (softmax probability, or R-CNN's SVM margin).</param>
/// <param name="Box">Box <c>[x1, y1, x2, y2]</c> in pixels.</param>
public sealed record DetectedObject(string Class, double Score, float[] Box);

/// <summary>What a trained detector found in one image.</summary>
/// <param name="Image">The image's name (its file).</param>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Detections">Objects scoring at least the threshold, best first.</param>
/// <param name="Proposals">Proposals scored, or null for a method without.</param>
/// <param name="ProposalMs">Time to make the proposals.</param>
/// <param name="DetectMs">Time to detect, proposals excluded.</param>
/// <param name="Drawn">The PNG with the detections drawn (on the working copy), or null.</param>
/// <param name="Scale">Working-copy size over original size (1: detection ran on the original); boxes are in the original's pixels either way.</param>
public sealed record ImageDetectionResult(string Image, long Width, long Height, IReadOnlyList<DetectedObject> Detections, long? Proposals, double ProposalMs,
    double DetectMs, string? Drawn, double Scale = 1);

/// <summary>
/// A trained detector applied to an image a user gives (what <c>aperture detect</c> does per file): proposals when the
/// method needs them, detection, the objects above a score threshold, and optionally the picture with their boxes.
/// </summary>
public static class ImageDetection
{
    /// <summary>Detects in an image file (PNG or JPEG; grey images are expanded to RGB).</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="proposals">The proposal source when <see cref="IObjectDetector.UsesProposals"/>, else null.</param>
    /// <param name="file">Image file.</param>
    /// <param name="threshold">Lowest score kept and drawn.</param>
    /// <param name="drawTo">PNG to draw the detections into, or null.</param>
    /// <param name="maxSide">Longest side of the working copy in pixels (≤ 0: detect on the original); see the other overload.</param>
    /// <exception cref="InvalidDataException">Not a readable image (the message names the file).</exception>
    public static ImageDetectionResult Run(IObjectDetector detector, IProposalSource? proposals, string file, double threshold, string? drawTo,
        int maxSide = ImageScaling.DefaultMaxSide)
    {
        using var scope = NewDisposeScope();
        var image = ImageTensor.Read(file);
        if (image.shape[0] == 1) image = image.expand(3, -1, -1).contiguous();
        return Run(detector, proposals, image, file, threshold, drawTo, maxSide);
    }

    /// <summary>
    /// Detects in an RGB image <c>uint8 [3, H, W]</c>. An image whose longer side exceeds <paramref name="maxSide"/>
    /// is processed (proposals and detector) as an area-averaged working copy of that size, and the boxes are mapped
    /// back to the image's own pixels, so memory and time follow from <paramref name="maxSide"/>, not from the pixel count.
    /// </summary>
    /// <param name="detector">The detector.</param>
    /// <param name="proposals">The proposal source when the detector uses proposals, else null.</param>
    /// <param name="image">The image.</param>
    /// <param name="name">Its name in the result.</param>
    /// <param name="threshold">Lowest score kept and drawn.</param>
    /// <param name="drawTo">PNG to draw the detections into (the working copy), or null.</param>
    /// <param name="maxSide">Longest side of the working copy in pixels (≤ 0: detect on the original).</param>
    public static ImageDetectionResult Run(IObjectDetector detector, IProposalSource? proposals, Tensor image, string name, double threshold, string? drawTo,
        int maxSide = ImageScaling.DefaultMaxSide)
    {
        if (detector.UsesProposals && proposals is null) throw new ArgumentException($"{detector.Method} needs a proposal source");
        using var scope = NewDisposeScope();
        int h = (int)image.shape[1], w = (int)image.shape[2];
        var sw = Stopwatch.StartNew();
        image = ImageScaling.Downscale(image, maxSide);
        int sh = (int)image.shape[1], swd = (int)image.shape[2];
        var props = detector.UsesProposals ? proposals!.Propose(image) : null;
        double proposalMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var d = detector.Detect(image, props);
        double detectMs = sw.Elapsed.TotalMilliseconds;
        var keep = d.Scores.ge(threshold);
        // data<T>().ToArray() fails on an empty tensor, so read only when something was kept.
        bool any = keep.any().item<bool>();
        var boxes = any ? BoxList.FromTensor(sh == h && swd == w ? d.Boxes.index(keep) : ImageScaling.MapBack(d.Boxes.index(keep), sh, swd, h, w)) : [];
        var scores = any ? d.Scores.index(keep).data<float>().ToArray() : [];
        var labels = any ? d.Labels.index(keep).data<long>().ToArray() : [];
        var objects = Enumerable.Range(0, scores.Length)
            .Select(i => new DetectedObject(detector.ClassNames[(int)labels[i]], Math.Round(scores[i], 4), [boxes[i].X1, boxes[i].Y1, boxes[i].X2, boxes[i].Y2]))
            .ToList();
        if (drawTo is not null) DetectionExamples.WriteOne(drawTo, image, d, detector.ClassNames, threshold);
        return new ImageDetectionResult(name, w, h, objects, props?.shape[0], proposalMs, detectMs, drawTo, (double)swd / w);
    }
}
