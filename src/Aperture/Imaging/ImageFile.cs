using Aperture.Core;
using SkiaSharp;

namespace Aperture.Imaging;

/// <summary>
/// Reads and writes image files (PNG, JPEG, and what else Skia decodes). The header is read and the
/// size checked before any pixel is decoded; a truncated or corrupt file is one clear error naming it.
/// Writes are atomic.
/// </summary>
public static class ImageFile
{
    /// <summary>Largest image decoded unless the caller allows more: 64 megapixels.</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    /// <summary>Width and height as a viewer shows them (EXIF orientation applied), from the header, without decoding pixels.</summary>
    /// <exception cref="InvalidDataException">The file is not an image Skia can read.</exception>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var codec = OpenCodec(path, out var stream);
        using (stream) return ExifOrientation.ViewedSize(codec.EncodedOrigin, codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Decodes an image into an RGBA (or, with <paramref name="grayscale"/>, 8-bit grey) bitmap, turned as a viewer
    /// shows it: a JPEG's EXIF orientation is applied (<see cref="ExifOrientation"/>), so boxes drawn on a phone photo
    /// match its pixels.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="grayscale">Decode to one 8-bit channel (used for label masks).</param>
    /// <param name="maxPixels">Refuse images with more pixels than this, before decoding.</param>
    /// <exception cref="InvalidDataException">Not an image, too large, or truncated/corrupt.</exception>
    public static SKBitmap Decode(string path, bool grayscale = false, long maxPixels = DefaultMaxPixels)
    {
        using var codec = OpenCodec(path, out var stream);
        using (stream)
        {
            var info = codec.Info;
            if (info.Width <= 0 || info.Height <= 0)
                throw new InvalidDataException($"{path}: image header gives an empty size {info.Width}x{info.Height}");
            if ((long)info.Width * info.Height > maxPixels)
                throw new InvalidDataException($"{path}: image is {info.Width}x{info.Height} = {(long)info.Width * info.Height} pixels, more than the allowed {maxPixels}");
            // Skia decodes grey files to grey directly; a colour file asked for as grey is decoded as RGBA and converted.
            bool direct = !grayscale || info.ColorType is SKColorType.Gray8;
            var target = new SKImageInfo(info.Width, info.Height,
                grayscale && direct ? SKColorType.Gray8 : SKColorType.Rgba8888,
                grayscale && direct ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
            var bitmap = new SKBitmap(target);
            var result = codec.GetPixels(target, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
            {
                bitmap.Dispose();
                string why = result == SKCodecResult.IncompleteInput
                    ? "file is truncated (image data ends early)"
                    : $"image data is corrupt ({result})";
                throw new InvalidDataException($"{path}: {why}");
            }
            return ExifOrientation.Apply(direct ? bitmap : ToGrey(bitmap), codec.EncodedOrigin);
        }
    }

    /// <summary>Luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B) of an RGBA bitmap, as an 8-bit grey bitmap; disposes the input.</summary>
    private static SKBitmap ToGrey(SKBitmap rgba)
    {
        using (rgba)
        {
            var grey = new SKBitmap(new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Gray8, SKAlphaType.Opaque));
            ReadOnlySpan<byte> src = rgba.GetPixelSpan();
            Span<byte> dst = grey.GetPixelSpan();
            for (int y = 0; y < rgba.Height; y++)
            {
                var row = src.Slice(y * rgba.RowBytes, rgba.Width * 4);
                var outRow = dst.Slice(y * grey.RowBytes, rgba.Width);
                for (int x = 0; x < rgba.Width; x++)
                    outRow[x] = (byte)Math.Round(0.299 * row[4 * x] + 0.587 * row[4 * x + 1] + 0.114 * row[4 * x + 2]);
            }
            return grey;
        }
    }

    /// <summary>Writes a bitmap as PNG (lossless) or JPEG (by the extension: .png, .jpg, .jpeg), atomically.</summary>
    /// <param name="path">Target file; its extension chooses the format.</param>
    /// <param name="bitmap">The image.</param>
    /// <param name="jpegQuality">JPEG quality, 1–100.</param>
    public static void Write(string path, SKBitmap bitmap, int jpegQuality = 92)
    {
        var format = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => SKEncodedImageFormat.Png,
            ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
            var ext => throw new ArgumentException($"{path}: cannot write images with extension '{ext}' (use .png, .jpg or .jpeg)"),
        };
        using var data = bitmap.Encode(format, format == SKEncodedImageFormat.Png ? 100 : jpegQuality)
            ?? throw new InvalidOperationException($"{path}: Skia could not encode a {bitmap.Width}x{bitmap.Height} {bitmap.ColorType} image as {format}");
        AtomicFile.Write(path, s => data.SaveTo(s));
    }

    private static SKCodec OpenCodec(string path, out Stream stream)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such image file", path);
        stream = File.OpenRead(path);
        var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw new InvalidDataException($"{path}: not a readable image ({result}); PNG and JPEG are supported");
        }
        return codec;
    }
}
