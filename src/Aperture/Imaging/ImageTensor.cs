using System.Runtime.InteropServices;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>Converts between Skia bitmaps and image tensors <c>[C, H, W]</c>.</summary>
public static class ImageTensor
{
    /// <summary>
    /// Copies a bitmap into a <c>uint8</c> tensor <c>[C, H, W]</c>: C = 1 for an 8-bit grey bitmap,
    /// otherwise C = 3 (RGB; alpha is dropped).
    /// </summary>
    public static Tensor FromBitmap(SKBitmap bitmap)
    {
        SKBitmap src = bitmap;
        bool gray = bitmap.ColorType is SKColorType.Gray8 or SKColorType.Alpha8;
        if (!gray && bitmap.ColorType != SKColorType.Rgba8888)
        {
            src = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
            if (!bitmap.CopyTo(src, SKColorType.Rgba8888))
                throw new ArgumentException($"cannot convert a {bitmap.ColorType} bitmap to RGBA");
        }
        try
        {
            int h = src.Height, w = src.Width, bpp = gray ? 1 : 4;
            var bytes = new byte[h * w * bpp];
            // Rows may be padded: copy row by row.
            IntPtr p = src.GetPixels();
            for (int y = 0; y < h; y++)
                Marshal.Copy(p + y * src.RowBytes, bytes, y * w * bpp, w * bpp);
            using var scope = NewDisposeScope();
            var t = tensor(bytes, new long[] { h, w, bpp }, ScalarType.Byte);
            var chw = gray ? t.permute(2, 0, 1) : t.narrow(2, 0, 3).permute(2, 0, 1);
            return chw.contiguous().MoveToOuterDisposeScope();
        }
        finally
        {
            if (!ReferenceEquals(src, bitmap)) src.Dispose();
        }
    }

    /// <summary>
    /// Makes a bitmap from an image tensor <c>[C, H, W]</c> or <c>[H, W]</c>, C = 1 or 3. A <c>uint8</c>
    /// tensor is taken as is; a floating tensor is taken as values in [0, 1] and clamped.
    /// One channel gives an 8-bit grey bitmap, three give RGBA with opaque alpha.
    /// </summary>
    public static SKBitmap ToBitmap(Tensor image)
    {
        using var scope = NewDisposeScope();
        var t = image.dim() == 2 ? image.unsqueeze(0) : image;
        if (t.dim() != 3 || (t.shape[0] != 1 && t.shape[0] != 3))
            throw new ArgumentException($"expected an image tensor [C, H, W] with C = 1 or 3, got [{string.Join(", ", image.shape)}]");
        if (t.dtype != ScalarType.Byte)
            t = t.to_type(ScalarType.Float32).clamp(0, 1).mul(255).round().to_type(ScalarType.Byte);
        t = t.cpu();
        int c = (int)t.shape[0], h = (int)t.shape[1], w = (int)t.shape[2];
        bool gray = c == 1;
        Tensor hwc = gray ? t.permute(1, 2, 0) : cat(new[] { t, full(1, h, w, (byte)255, ScalarType.Byte) }, 0).permute(1, 2, 0);
        byte[] bytes = hwc.contiguous().data<byte>().ToArray();
        var bitmap = new SKBitmap(new SKImageInfo(w, h, gray ? SKColorType.Gray8 : SKColorType.Rgba8888,
            gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        int bpp = gray ? 1 : 4;
        IntPtr p = bitmap.GetPixels();
        for (int y = 0; y < h; y++)
            Marshal.Copy(bytes, y * w * bpp, p + y * bitmap.RowBytes, w * bpp);
        return bitmap;
    }

    /// <summary>Reads an image file as a <c>uint8</c> tensor <c>[C, H, W]</c> (C = 3, or 1 with <paramref name="grayscale"/>).</summary>
    public static Tensor Read(string path, bool grayscale = false, long maxPixels = ImageFile.DefaultMaxPixels)
    {
        using var bitmap = ImageFile.Decode(path, grayscale, maxPixels);
        return FromBitmap(bitmap);
    }

    /// <summary>Writes an image tensor <c>[C, H, W]</c> (uint8, or float in [0, 1]) as PNG or JPEG by extension, atomically.</summary>
    public static void Write(string path, Tensor image)
    {
        using var bitmap = ToBitmap(image);
        ImageFile.Write(path, bitmap);
    }
}
