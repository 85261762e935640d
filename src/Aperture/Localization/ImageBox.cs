namespace Aperture.Localization;

/// <summary>An axis-aligned box in pixels: columns X1 … X2 and rows Y1 … Y2 with X2, Y2 exclusive (so width = X2 − X1).</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge (exclusive).</param>
/// <param name="Y2">Bottom edge (exclusive).</param>
public readonly record struct ImageBox(double X1, double Y1, double X2, double Y2)
{
    /// <summary>Area; 0 for an empty box.</summary>
    public double Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);

    /// <summary>Intersection over union with <paramref name="other"/> (0 when both are empty).</summary>
    public double IoU(ImageBox other)
    {
        double iw = Math.Min(X2, other.X2) - Math.Max(X1, other.X1), ih = Math.Min(Y2, other.Y2) - Math.Max(Y1, other.Y1);
        double inter = iw > 0 && ih > 0 ? iw * ih : 0;
        double union = Area + other.Area - inter;
        return union > 0 ? inter / union : 0;
    }
}
