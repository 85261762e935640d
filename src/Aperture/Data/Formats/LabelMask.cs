using System.Runtime.InteropServices;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Data.Formats;

/// <summary>
/// Label masks as PNG files: one 8-bit value per pixel (0 = background, a class id + 1 or an instance id;
/// 255 is VOC's "void"/boundary label and is kept as is).
/// <para>
/// Written as 8-bit grey PNGs, read back exactly. Reading also accepts colour PNGs in the Pascal VOC palette
/// (the real VOC <c>SegmentationClass</c>/<c>SegmentationObject</c> files are indexed PNGs): Skia decodes
/// indexed PNGs to colours, so each colour is mapped back to its index through the standard VOC colour map;
/// a colour outside that map is an error. 16-bit PNGs and other palettes are not supported.
/// </para>
/// </summary>
public static class LabelMask
{
    /// <summary>Writes a mask <c>uint8 [H, W]</c> (or <c>[1, H, W]</c>) as an 8-bit grey PNG, atomically.</summary>
    public static void Write(string path, Tensor mask)
    {
        if (mask.dtype != ScalarType.Byte || (mask.dim() != 2 && !(mask.dim() == 3 && mask.shape[0] == 1)))
            throw new ArgumentException($"{path}: a label mask must be uint8 [H, W] or [1, H, W], got {mask.dtype} [{string.Join(", ", mask.shape)}]");
        ImageTensor.Write(path, mask);
    }

    /// <summary>Writes a mask given as row-major bytes <c>[H, W]</c> as an 8-bit grey PNG, atomically.</summary>
    public static void Write(string path, byte[] mask, int width, int height)
    {
        if (mask.Length != width * height)
            throw new ArgumentException($"{path}: mask has {mask.Length} values, not {width}x{height}");
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
        IntPtr p = bitmap.GetPixels();
        for (int y = 0; y < height; y++) Marshal.Copy(mask, y * width, p + y * bitmap.RowBytes, width);
        ImageFile.Write(path, bitmap);
    }

    /// <summary>Reads a label mask PNG as a <c>uint8</c> tensor <c>[H, W]</c>.</summary>
    /// <exception cref="InvalidDataException">Not a PNG, or a colour PNG whose colours are not the VOC palette; the message names the file.</exception>
    public static Tensor Read(string path)
    {
        var (bytes, w, h) = ReadBytes(path);
        return tensor(bytes, new long[] { h, w }, ScalarType.Byte);
    }

    /// <summary>Reads a label mask PNG as row-major bytes <c>[H, W]</c> with its width and height.</summary>
    public static (byte[] Mask, int Width, int Height) ReadBytes(string path)
    {
        int colourType = PngColourType(path);
        if (colourType is 0 or 4)  // grey, grey + alpha
        {
            using var grey = ImageFile.Decode(path, grayscale: true);
            return (Copy(grey, 1), grey.Width, grey.Height);
        }
        using var rgba = ImageFile.Decode(path);
        byte[] px = Copy(rgba, 4);
        var map = PaletteIndex.Value;
        var mask = new byte[rgba.Width * rgba.Height];
        for (int i = 0; i < mask.Length; i++)
        {
            int key = (px[4 * i] << 16) | (px[4 * i + 1] << 8) | px[4 * i + 2];
            if (!map.TryGetValue(key, out byte v))
                throw new InvalidDataException(
                    $"{path}: pixel ({i % rgba.Width}, {i / rgba.Width}) has colour ({px[4 * i]}, {px[4 * i + 1]}, {px[4 * i + 2]}), which is not in the Pascal VOC palette; label masks must be 8-bit grey PNGs or VOC-palette PNGs");
            mask[i] = v;
        }
        return (mask, rgba.Width, rgba.Height);
    }

    /// <summary>The Pascal VOC colour of label <paramref name="index"/> (0..255): the bits of the index spread over R, G and B.</summary>
    public static (byte R, byte G, byte B) VocColour(int index)
    {
        int r = 0, g = 0, b = 0, c = index;
        for (int j = 0; j < 8; j++)
        {
            r |= ((c >> 0) & 1) << (7 - j);
            g |= ((c >> 1) & 1) << (7 - j);
            b |= ((c >> 2) & 1) << (7 - j);
            c >>= 3;
        }
        return ((byte)r, (byte)g, (byte)b);
    }

    private static readonly Lazy<Dictionary<int, byte>> PaletteIndex = new(() =>
    {
        var d = new Dictionary<int, byte>();
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = VocColour(i);
            d.TryAdd((r << 16) | (g << 8) | b, (byte)i);
        }
        return d;
    });

    private static byte[] Copy(SkiaSharp.SKBitmap bitmap, int bpp)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var bytes = new byte[w * h * bpp];
        IntPtr p = bitmap.GetPixels();
        for (int y = 0; y < h; y++) Marshal.Copy(p + y * bitmap.RowBytes, bytes, y * w * bpp, w * bpp);
        return bytes;
    }

    /// <summary>The PNG colour type from the IHDR chunk (0 grey, 2 RGB, 3 indexed, 4 grey+alpha, 6 RGBA).</summary>
    private static int PngColourType(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such mask file", path);
        var head = new byte[26];
        using (var s = File.OpenRead(path))
        {
            int n = s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            ReadOnlySpan<byte> sig = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
            if (n < head.Length || !head.AsSpan(0, 8).SequenceEqual(sig))
                throw new InvalidDataException($"{path}: not a PNG file; label masks must be PNG (lossless)");
        }
        if (head[24] != 8 && head[25] != 3)
            throw new InvalidDataException($"{path}: a {head[24]}-bit PNG; label masks must have 8-bit samples");
        return head[25];
    }
}
