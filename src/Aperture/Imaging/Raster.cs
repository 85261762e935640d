using System.Runtime.InteropServices;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>Shared conversions for the drawing code: any image tensor to <c>uint8</c> RGB, and to/from a drawable bitmap.</summary>
internal static class Raster
{
    /// <summary>
    /// An image <c>[C, H, W]</c> or <c>[H, W]</c> (C = 1 or 3; <c>uint8</c>, or floating in [0, 1]) as
    /// <c>uint8</c> RGB <c>[3, H, W]</c> on the CPU.
    /// </summary>
    public static Tensor Rgb(Tensor image, string what = "image")
    {
        using var scope = NewDisposeScope();
        var t = image.dim() == 2 ? image.unsqueeze(0) : image;
        if (t.dim() != 3 || (t.shape[0] != 1 && t.shape[0] != 3))
            throw new ArgumentException($"{what} must be [C, H, W] with C = 1 or 3 (or [H, W]), got [{string.Join(", ", image.shape)}]");
        t = t.cpu();
        if (t.dtype != ScalarType.Byte)
        {
            if (!t.is_floating_point())
                throw new ArgumentException($"{what} must be uint8, or floating point in [0, 1]; got {t.dtype}");
            t = t.to_type(ScalarType.Float32).nan_to_num(0.0).clamp(0, 1).mul(255).round().to_type(ScalarType.Byte);
        }
        if (t.shape[0] == 1) t = t.expand(3, -1, -1);
        return t.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>An opaque premultiplied RGBA bitmap that a canvas can draw on, from <c>uint8</c> RGB <c>[3, H, W]</c>.</summary>
    public static SKBitmap ToDrawable(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        int h = (int)rgb.shape[1], w = (int)rgb.shape[2];
        var hwc = cat(new[] { rgb, full(1, h, w, (byte)255, ScalarType.Byte) }, 0).permute(1, 2, 0).contiguous();
        byte[] bytes = hwc.data<byte>().ToArray();
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        IntPtr p = bitmap.GetPixels();
        for (int y = 0; y < h; y++)
            Marshal.Copy(bytes, y * w * 4, p + y * bitmap.RowBytes, w * 4);
        return bitmap;
    }
}
