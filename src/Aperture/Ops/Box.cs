namespace Aperture.Ops;

/// <summary>
/// An axis-aligned box in pixel coordinates, the convention used throughout Aperture (as torchvision):
/// <c>(X1, Y1)</c> is the top-left corner, <c>(X2, Y2)</c> the bottom-right, with X2/Y2 exclusive edges,
/// so a box covering pixel columns 3..7 inclusive has X1 = 3, X2 = 8 and width X2 - X1 = 5.
/// </summary>
/// <param name="X1">Left edge, pixels.</param>
/// <param name="Y1">Top edge, pixels.</param>
/// <param name="X2">Right edge (exclusive), pixels.</param>
/// <param name="Y2">Bottom edge (exclusive), pixels.</param>
public readonly record struct Box(float X1, float Y1, float X2, float Y2)
{
    /// <summary>Width, X2 - X1.</summary>
    public float Width => X2 - X1;

    /// <summary>Height, Y2 - Y1.</summary>
    public float Height => Y2 - Y1;

    /// <summary>Area, or 0 for an empty box.</summary>
    public float Area => Width > 0 && Height > 0 ? Width * Height : 0;

    /// <summary>True when the box has positive width and height and lies within a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    public bool IsValidIn(int width, int height) =>
        X2 > X1 && Y2 > Y1 && X1 >= 0 && Y1 >= 0 && X2 <= width && Y2 <= height;

    /// <summary>
    /// Intersection over union with <paramref name="other"/>, in [0, 1]; 0 when the union is empty (two empty boxes).
    /// Edge differences are taken in float and areas multiplied in double, so the result agrees with
    /// <see cref="Boxes.Iou"/> on tensors to float precision.
    /// </summary>
    public double Iou(Box other)
    {
        double w = MathF.Max(0, MathF.Min(X2, other.X2) - MathF.Max(X1, other.X1));
        double h = MathF.Max(0, MathF.Min(Y2, other.Y2) - MathF.Max(Y1, other.Y1));
        double inter = w * h;
        double union = (double)MathF.Max(0, Width) * MathF.Max(0, Height) + (double)MathF.Max(0, other.Width) * MathF.Max(0, other.Height) - inter;
        return union > 0 ? inter / union : 0;
    }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"({X1}, {Y1}, {X2}, {Y2})");
}
