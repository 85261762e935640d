using SkiaSharp;

namespace Aperture.Imaging;

/// <summary>
/// The EXIF orientation tag (0x0112) a camera writes instead of rotating the pixels: a phone held upright stores a
/// landscape image and says "rotate 90° clockwise to view" (tag 6). Viewers apply it, so boxes and masks drawn on a
/// photo are in the viewed orientation; decoding must apply it too, or the boxes land beside their objects.
/// <see cref="ImageFile"/> applies it on every decode and reports the viewed size; this type does the pixel moves.
/// The eight cases follow the EXIF 2.3 specification (as PIL's <c>ImageOps.exif_transpose</c> does).
/// </summary>
public static class ExifOrientation
{
    /// <summary>Whether the origin swaps width and height (tags 5–8: a transpose is involved).</summary>
    public static bool SwapsSides(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>The size a viewer shows for a stored <paramref name="width"/> x <paramref name="height"/> image.</summary>
    public static (int Width, int Height) ViewedSize(SKEncodedOrigin origin, int width, int height) =>
        SwapsSides(origin) ? (height, width) : (width, height);

    /// <summary>
    /// The bitmap as a viewer shows it: a new bitmap with the pixels moved (exact, no resampling), or the input
    /// itself when <paramref name="origin"/> is top-left. Disposes the input when it returns a new bitmap.
    /// </summary>
    /// <param name="stored">Decoded pixels in stored order, any 1- or 4-byte colour type.</param>
    /// <param name="origin">The file's orientation (<c>SKCodec.EncodedOrigin</c>).</param>
    public static SKBitmap Apply(SKBitmap stored, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft) return stored;
        int ws = stored.Width, hs = stored.Height, bpp = stored.BytesPerPixel;
        var (wv, hv) = ViewedSize(origin, ws, hs);
        var viewed = new SKBitmap(new SKImageInfo(wv, hv, stored.ColorType, stored.AlphaType));
        ReadOnlySpan<byte> src = stored.GetPixelSpan();
        Span<byte> dst = viewed.GetPixelSpan();
        for (int y = 0; y < hv; y++)
            for (int x = 0; x < wv; x++)
            {
                // Viewed pixel (x, y) comes from stored pixel (sx, sy).
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (ws - 1 - x, y),              // 2: mirrored horizontally
                    SKEncodedOrigin.BottomRight => (ws - 1 - x, hs - 1 - y),  // 3: rotated 180°
                    SKEncodedOrigin.BottomLeft => (x, hs - 1 - y),            // 4: mirrored vertically
                    SKEncodedOrigin.LeftTop => (y, x),                        // 5: transposed
                    SKEncodedOrigin.RightTop => (y, hs - 1 - x),              // 6: rotate 90° clockwise to view
                    SKEncodedOrigin.RightBottom => (ws - 1 - y, hs - 1 - x),  // 7: transverse
                    SKEncodedOrigin.LeftBottom => (ws - 1 - y, x),            // 8: rotate 90° counter-clockwise to view
                    _ => throw new ArgumentOutOfRangeException(nameof(origin), origin, "not an EXIF orientation"),
                };
                src.Slice(sy * stored.RowBytes + sx * bpp, bpp).CopyTo(dst.Slice(y * viewed.RowBytes + x * bpp, bpp));
            }
        stored.Dispose();
        return viewed;
    }
}
