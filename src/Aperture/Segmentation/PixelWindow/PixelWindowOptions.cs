namespace Aperture.Segmentation.PixelWindow;

/// <summary>Settings of the per-pixel sliding-window classifier (<see cref="PixelWindowNetwork"/>).</summary>
public sealed record PixelWindowOptions : Core.IValidatable
{
    /// <summary>
    /// Window side w (odd: the labelled pixel is its centre). With n conv stages the window must tile exactly (no pixel
    /// dropped by a pooling): for three stages w ≡ 1 (mod 4) and w ≥ 29 (29, 33, 37, …); <see cref="Validate"/> lists the
    /// valid sides near a bad one.
    /// </summary>
    public int Window { get; init; } = 33;

    /// <summary>Channels of the conv stages: a 3x3 valid convolution each, the stages but the last followed by 3x3 max pooling with stride 2.</summary>
    public int[] Widths { get; init; } = { 16, 32, 32 };

    /// <summary>Width of the hidden fully connected layer (fc1, a convolution over the whole remaining map).</summary>
    public int HiddenWidth { get; init; } = 64;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Widths is null || Widths.Length < 1 || Widths.Any(w => w < 1))
            throw new ArgumentException($"pixel window: widths [{string.Join(", ", Widths ?? Array.Empty<int>())}] must be one or more positive numbers");
        if (HiddenWidth < 1) throw new ArgumentException($"pixel window: hidden width {HiddenWidth} must be positive");
        if (FinalMapSide(Window, Widths.Length) is null)
        {
            var ok = Enumerable.Range(3, 200).Where(w => FinalMapSide(w, Widths.Length) is not null).ToList();
            var near = ok.OrderBy(w => Math.Abs(w - Window)).Take(3).OrderBy(w => w);
            throw new ArgumentException($"pixel window: a {Window}-pixel window does not tile {Widths.Length} stages of 3x3 convolution and 3x3/2 pooling " +
                $"(it must be odd and no pooling may drop a pixel); nearest valid sides: {string.Join(", ", near)}");
        }
    }

    /// <summary>
    /// Side of the map left for fc1 after the conv stages on a w x w window, or null if w is even, too small, or some
    /// pooling would drop a pixel (then the classifier would not see the whole window).
    /// </summary>
    public static int? FinalMapSide(int window, int stages)
    {
        if (window < 3 || window % 2 == 0) return null;
        int n = window;
        for (int i = 0; i < stages; i++)
        {
            n -= 2;
            if (n < 1) return null;
            if (i < stages - 1)
            {
                if (n < 3 || (n - 3) % 2 != 0) return null;
                n = (n - 3) / 2 + 1;
            }
        }
        return n;
    }
}
