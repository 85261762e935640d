using System.Runtime.InteropServices;
using Aperture.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// The image-folder dataset format: a root folder with one sub-folder per class, named after the class,
/// holding that class's PNG/JPEG images. Classes are the sub-folders sorted by name (ordinal), so label i
/// is the i-th folder name. Hidden files and folders (starting with '.') and files of other types are ignored.
/// </summary>
public static class ImageFolder
{
    /// <summary>File extensions read as images (case-insensitive).</summary>
    public static IReadOnlyList<string> Extensions { get; } = new[] { ".png", ".jpg", ".jpeg" };

    /// <summary>
    /// Reads every image under <paramref name="root"/> into memory, resized to
    /// <paramref name="height"/> x <paramref name="width"/> (bilinear, with mipmaps when shrinking), as grey
    /// (C = 1, Rec. 601 luma) or RGB (C = 3; alpha is dropped). Without a size, all images must have the
    /// size of the first. Each file's size is checked from its header before it is decoded.
    /// </summary>
    /// <param name="root">The dataset folder.</param>
    /// <param name="height">Target height, or null to keep the images' common size (then width must be null too).</param>
    /// <param name="width">Target width, or null.</param>
    /// <param name="channels">1 for grey, 3 for RGB.</param>
    /// <param name="maxPixels">Refuse any file with more pixels than this.</param>
    /// <returns>Images <c>uint8 [N, C, H, W]</c>, labels <c>int64 [N]</c> (files in class order, then name order), class names, source = the root.</returns>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, an empty class folder, or an unreadable / oversized / differently sized image (named).</exception>
    public static LabeledImages Read(string root, int? height = null, int? width = null, int channels = 3,
        long maxPixels = ImageFile.DefaultMaxPixels)
    {
        if (channels != 1 && channels != 3) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (grey) or 3 (RGB)");
        if (height.HasValue != width.HasValue) throw new ArgumentException("give both height and width, or neither");
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"image size {height}x{width} must be positive");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");

        var classDirs = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"{root}: no class folders; an image folder holds one sub-folder of images per class");

        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.GetFiles(classDirs[c])
                .Where(f => !Path.GetFileName(f).StartsWith('.') && Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"{classDirs[c]}: class folder holds no images ({string.Join(", ", Extensions)})");
            files.AddRange(images.Select(f => (f, c)));
        }

        int h = height ?? 0, w = width ?? 0;
        byte[]? pixels = null;
        var labels = new long[files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            var (path, label) = files[i];
            using var decoded = ImageFile.Decode(path, maxPixels: maxPixels);
            if (pixels is null)
            {
                if (h == 0) (h, w) = (decoded.Height, decoded.Width);
                pixels = new byte[checked((long)files.Count * channels * h * w)];
            }
            else if (!height.HasValue && (decoded.Height != h || decoded.Width != w))
                throw new InvalidDataException($"{path}: image is {decoded.Width}x{decoded.Height}, the others {w}x{h}; give a size to resize them all");
            using var sized = decoded.Width == w && decoded.Height == h ? null : Resize(decoded, w, h, path);
            Copy(sized ?? decoded, pixels, (long)i * channels * h * w, channels);
            labels[i] = label;
        }
        var names = classDirs.Select(Path.GetFileName).Select(n => n!).ToArray();
        return new LabeledImages(
            tensor(pixels!, new long[] { files.Count, channels, h, w }, ScalarType.Byte),
            tensor(labels, ScalarType.Int64), names, Path.GetFullPath(root));
    }

    /// <summary>
    /// Writes <paramref name="data"/> as an image folder: <c>root/&lt;class name&gt;/&lt;index&gt;.png</c> (or .jpg),
    /// each file atomically. Every class must have at least one image (the reader refuses empty class folders)
    /// and a name usable as a folder name.
    /// </summary>
    /// <param name="data">Images <c>uint8 [N, C, H, W]</c> (C = 1 or 3) with labels <c>[N]</c>.</param>
    /// <param name="root">The folder to write into (created if missing).</param>
    /// <param name="extension">".png" (lossless, the default) or ".jpg".</param>
    public static void Write(LabeledImages data, string root, string extension = ".png")
    {
        string ext = extension.StartsWith('.') ? extension.ToLowerInvariant() : "." + extension.ToLowerInvariant();
        if (!Extensions.Contains(ext)) throw new ArgumentException($"cannot write image folders as '{extension}'; use {string.Join(", ", Extensions)}");
        var images = data.Images;
        if (images.dim() != 4 || (images.shape[1] != 1 && images.shape[1] != 3) || images.dtype != ScalarType.Byte)
            throw new ArgumentException($"images must be uint8 [N, C, H, W] with C = 1 or 3, got {images.dtype} [{string.Join(", ", images.shape)}]");
        long n = images.shape[0];
        if (data.Labels.dim() != 1 || data.Labels.shape[0] != n)
            throw new ArgumentException($"labels must be [N] with N = {n}, got [{string.Join(", ", data.Labels.shape)}]");
        long[] labels = data.Labels.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        var invalid = Path.GetInvalidFileNameChars();
        foreach (string name in data.ClassNames)
            if (string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.StartsWith('.') || name.IndexOfAny(invalid) >= 0 || name.Contains('\\'))
                throw new ArgumentException($"class name '{name}' cannot be a folder name");
        if (data.ClassNames.Distinct(StringComparer.Ordinal).Count() != data.ClassNames.Count)
            throw new ArgumentException("class names must be distinct to be folder names");
        var perClass = new int[data.ClassNames.Count];
        foreach (long l in labels)
        {
            if (l < 0 || l >= perClass.Length) throw new ArgumentException($"label {l} is not a class index (0..{perClass.Length - 1})");
            perClass[l]++;
        }
        for (int c = 0; c < perClass.Length; c++)
            if (perClass[c] == 0) throw new ArgumentException($"class '{data.ClassNames[c]}' has no images; an image folder needs at least one per class");

        int digits = Math.Max(5, n.ToString().Length);
        for (long i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            string path = Path.Combine(root, data.ClassNames[(int)labels[i]], i.ToString().PadLeft(digits, '0') + ext);
            ImageTensor.Write(path, images[i]);
        }
    }

    private static SKBitmap Resize(SKBitmap source, int w, int h, string path)
    {
        bool shrinking = w < source.Width || h < source.Height;
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, shrinking ? SKMipmapMode.Linear : SKMipmapMode.None);
        using var image = SKImage.FromBitmap(source);
        var target = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var pixmap = target.PeekPixels())
        {
            if (!image.ScalePixels(pixmap, sampling))
            {
                target.Dispose();
                throw new InvalidDataException($"{path}: could not resize {source.Width}x{source.Height} to {w}x{h}");
            }
        }
        return target;
    }

    /// <summary>Copies an RGBA bitmap into <paramref name="dest"/> at <paramref name="offset"/> as [C, H, W] planes.</summary>
    private static void Copy(SKBitmap bitmap, byte[] dest, long offset, int channels)
    {
        int h = bitmap.Height, w = bitmap.Width;
        var row = new byte[w * 4];
        IntPtr p = bitmap.GetPixels();
        long plane = (long)h * w;
        for (int y = 0; y < h; y++)
        {
            Marshal.Copy(p + y * bitmap.RowBytes, row, 0, row.Length);
            long o = offset + (long)y * w;
            for (int x = 0; x < w; x++)
            {
                byte r = row[4 * x], g = row[4 * x + 1], b = row[4 * x + 2];
                if (channels == 1)
                    dest[o + x] = (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
                else
                {
                    dest[o + x] = r;
                    dest[plane + o + x] = g;
                    dest[2 * plane + o + x] = b;
                }
            }
        }
    }
}
