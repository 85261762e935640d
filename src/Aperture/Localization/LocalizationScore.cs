using Aperture.Ops;

namespace Aperture.Localization;

/// <summary>
/// Weakly supervised localization accuracy, counted image by image. A prediction (class, box) is correct when some
/// true object of the predicted class has IoU ≥ <see cref="IoUThreshold"/> with the box (for a multi-object image:
/// any true box of that class will do). With <c>classAgnostic</c> the class is ignored (the "ground-truth class known"
/// variant: the box must match any true box). Two baselines are scored on the same images with the same predicted
/// classes: a centre box (the central <see cref="CentreFraction"/> of each side) and the full image.
/// </summary>
public sealed class LocalizationScore
{
    private readonly bool _classAgnostic;

    /// <summary>Creates an empty score.</summary>
    /// <param name="iouThreshold">IoU needed for a match; the standard is 0.5.</param>
    /// <param name="centreFraction">Side of the centre-box baseline as a fraction of the image side, in (0, 1].</param>
    /// <param name="classAgnostic">Ignore the class when matching.</param>
    public LocalizationScore(double iouThreshold = 0.5, double centreFraction = 0.5, bool classAgnostic = false)
    {
        if (!(iouThreshold > 0 && iouThreshold <= 1)) throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "IoU threshold must be in (0, 1]");
        if (!(centreFraction > 0 && centreFraction <= 1)) throw new ArgumentOutOfRangeException(nameof(centreFraction), centreFraction, "centre fraction must be in (0, 1]");
        IoUThreshold = iouThreshold;
        CentreFraction = centreFraction;
        _classAgnostic = classAgnostic;
    }

    /// <summary>IoU needed for a match.</summary>
    public double IoUThreshold { get; }

    /// <summary>Side of the centre box as a fraction of the image side.</summary>
    public double CentreFraction { get; }

    /// <summary>Images counted.</summary>
    public int Count { get; private set; }

    /// <summary>Images whose predicted box is correct.</summary>
    public int Correct { get; private set; }

    /// <summary>Images where the centre box would be correct.</summary>
    public int CentreCorrect { get; private set; }

    /// <summary>Images where the full-image box would be correct.</summary>
    public int FullImageCorrect { get; private set; }

    /// <summary>Fraction of images localized correctly (0 when empty).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;

    /// <summary>Accuracy of the centre-box baseline.</summary>
    public double CentreAccuracy => Count == 0 ? 0 : (double)CentreCorrect / Count;

    /// <summary>Accuracy of the full-image baseline.</summary>
    public double FullImageAccuracy => Count == 0 ? 0 : (double)FullImageCorrect / Count;

    /// <summary>Counts one image.</summary>
    /// <param name="predictedClass">The class the network predicted.</param>
    /// <param name="predictedBox">The box from its heatmap, or null when the map gave none (counted as wrong).</param>
    /// <param name="truth">The image's true objects (box and class); at least one.</param>
    /// <param name="width">Image width in pixels (for the baselines).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <returns>Whether the predicted box is correct.</returns>
    public bool Add(int predictedClass, Box? predictedBox, IReadOnlyList<(Box Box, int Class)> truth, int width, int height)
    {
        if (truth.Count == 0) throw new ArgumentException("an image to score needs at least one true object");
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} must be positive");
        double cw = width * CentreFraction, ch = height * CentreFraction;
        var centre = new Box((float)((width - cw) / 2), (float)((height - ch) / 2), (float)((width + cw) / 2), (float)((height + ch) / 2));
        var full = new Box(0, 0, width, height);
        bool ok = predictedBox is Box b && Matches(b, predictedClass, truth);
        Count++;
        if (ok) Correct++;
        if (Matches(centre, predictedClass, truth)) CentreCorrect++;
        if (Matches(full, predictedClass, truth)) FullImageCorrect++;
        return ok;
    }

    private bool Matches(Box box, int cls, IReadOnlyList<(Box Box, int Class)> truth) =>
        truth.Any(t => (_classAgnostic || t.Class == cls) && box.Iou(t.Box) >= IoUThreshold);
}
