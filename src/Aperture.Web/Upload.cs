using Aperture.Imaging;

namespace Aperture.Web;

/// <summary>An upload refused for its size (HTTP 413).</summary>
/// <param name="message">What was too large, and the limit.</param>
public sealed class UploadTooLargeException(string message) : Exception(message);

/// <summary>
/// Takes an uploaded image into a request folder within the server's limits: at most so many bytes (the body stops
/// being read beyond them), and at most so many pixels by the image header, checked before any pixel is decoded.
/// </summary>
public static class Upload
{
    /// <summary>Extensions kept as they are; any other name is saved as <c>.img</c> (Skia reads the format from the bytes).</summary>
    private static readonly string[] KnownExtensions = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"];

    /// <summary>
    /// Copies <paramref name="body"/> into <c>FOLDER/STEM.EXT</c> (at most <paramref name="maxBytes"/>; STEM is the given
    /// name's, reduced to letters, digits, '-' and '_') and checks the header.
    /// </summary>
    /// <param name="body">The request body.</param>
    /// <param name="name">The name the person gave the file (its extension is kept when it is an image's).</param>
    /// <param name="folder">The request folder.</param>
    /// <param name="maxBytes">Largest upload in bytes.</param>
    /// <param name="maxPixels">Largest image in pixels.</param>
    /// <param name="cancel">Cancelled when the client goes away.</param>
    /// <returns>The saved file.</returns>
    /// <exception cref="UploadTooLargeException">Over either limit.</exception>
    /// <exception cref="InvalidDataException">Empty, or not an image (the message names the upload, not the server's path).</exception>
    public static async Task<string> SaveAsync(Stream body, string name, string folder, long maxBytes, long maxPixels, CancellationToken cancel)
    {
        string ext = Path.GetExtension(name).ToLowerInvariant();
        string path = Path.Combine(folder, SafeStem(name) + (KnownExtensions.Contains(ext) ? ext : ".img"));
        long total = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            var buffer = new byte[81920];
            int n;
            while ((n = await body.ReadAsync(buffer, cancel)) > 0)
            {
                total += n;
                if (total > maxBytes) throw TooLarge(name, maxBytes);
                await file.WriteAsync(buffer.AsMemory(0, n), cancel);
            }
        }
        if (total == 0) throw new InvalidDataException($"{name}: the upload is empty; choose an image file (PNG or JPEG)");
        CheckPixels(path, name, maxPixels);
        return path;
    }

    /// <summary>Checks an image's size from its header, before decoding.</summary>
    /// <exception cref="UploadTooLargeException">More than <paramref name="maxPixels"/> pixels.</exception>
    /// <exception cref="InvalidDataException">Not an image (the message names <paramref name="name"/>).</exception>
    public static void CheckPixels(string path, string name, long maxPixels)
    {
        var (w, h) = Named(path, name, () => ImageFile.ReadSize(path));
        if ((long)w * h > maxPixels)
            throw new UploadTooLargeException($"{name}: the image is {w}x{h} = {(long)w * h:N0} pixels, more than the limit of {maxPixels:N0} (--max-megapixels)");
    }

    /// <summary>Runs <paramref name="work"/> on a saved upload; its errors name the upload as the person named it, not the server's path.</summary>
    public static T Named<T>(string path, string name, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(e.Message.Replace(path, name, StringComparison.Ordinal), e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.Replace(path, name, StringComparison.Ordinal), e);
        }
    }

    /// <summary>The stem of <paramref name="name"/> with only letters, digits, '-' and '_' (at most 40; <c>image</c> when none is left).</summary>
    public static string SafeStem(string name)
    {
        string stem = new(Path.GetFileNameWithoutExtension(name).Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(40).ToArray());
        return stem.Length > 0 && char.IsAsciiLetterOrDigit(stem[0]) ? stem : "image";
    }

    /// <summary>The error of an upload over <paramref name="maxBytes"/>.</summary>
    public static UploadTooLargeException TooLarge(string name, long maxBytes) =>
        new($"{name}: the upload is larger than the limit of {Megabytes(maxBytes)} (--max-upload-mb)");

    private static string Megabytes(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB" : $"{bytes:N0} bytes";
}
