using System.Diagnostics;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Selective-search proposals of one image file (what <c>aperture propose</c> writes per image).</summary>
/// <param name="Image">The file.</param>
/// <param name="Width">Image width.</param>
/// <param name="Height">Image height.</param>
/// <param name="Mode">single, fast or quality.</param>
/// <param name="Milliseconds">Time of the search.</param>
/// <param name="Count">Boxes found.</param>
/// <param name="Boxes">Boxes <c>[x1, y1, x2, y2]</c>, best ranked first.</param>
/// <param name="Drawn">The PNG with the first boxes drawn (on the working copy), or null.</param>
/// <param name="Scale">Working-copy size over original size (1: the search ran on the original); the boxes are in the original's pixels either way.</param>
public sealed record ImageProposalsResult(string Image, long Width, long Height, string Mode, double Milliseconds, int Count, IReadOnlyList<float[]> Boxes, string? Drawn,
    double Scale = 1);

/// <summary>Selective search (Uijlings et al. 2013) on an image a user gives, with its best-ranked boxes drawn.</summary>
public static class ImageProposals
{
    /// <summary>
    /// Runs selective search on one image file. An image whose longer side exceeds <paramref name="maxSide"/> is
    /// searched on an area-averaged working copy of that size and the boxes are mapped back to its own pixels, so
    /// memory and time follow from <paramref name="maxSide"/>, not from the file's pixel count (see
    /// <see cref="SelectiveSearch"/> for the bound).
    /// </summary>
    /// <param name="file">PNG or JPEG file.</param>
    /// <param name="mode">Single, fast or quality.</param>
    /// <param name="max">Most boxes kept, best ranked first.</param>
    /// <param name="seed">Seed of the ranking's jitter.</param>
    /// <param name="threads">Worker threads (0: all cores).</param>
    /// <param name="draw">Draw this many best-ranked boxes (0: none) on the working copy.</param>
    /// <param name="folder">Where the drawing goes (<c>FILE-proposals.png</c>).</param>
    /// <param name="maxSide">Longest side of the working copy in pixels (≤ 0: search the original).</param>
    /// <exception cref="InvalidDataException">Not a readable image (the message names the file).</exception>
    public static ImageProposalsResult Run(string file, SelectiveSearchMode mode, int max, long seed, int threads, int draw, string folder,
        int maxSide = ImageScaling.DefaultMaxSide)
    {
        using var scope = NewDisposeScope();
        var original = ImageTensor.Read(file);
        int h = (int)original.shape[1], w = (int)original.shape[2];
        var sw = Stopwatch.StartNew();
        var image = ImageScaling.Downscale(original, maxSide);
        if (!ReferenceEquals(image, original)) original.Dispose();
        int sh = (int)image.shape[1], swd = (int)image.shape[2];
        var boxes = SelectiveSearch.Propose(image, mode, max, seed, threads);
        var mapped = sh == h && swd == w ? boxes : ImageScaling.MapBack(boxes, sh, swd, h, w);
        double ms = sw.Elapsed.TotalMilliseconds;
        int n = (int)boxes.shape[0];
        var flat = n > 0 ? mapped.data<float>().ToArray() : [];
        var list = Enumerable.Range(0, n).Select(i => flat.AsSpan(i * 4, 4).ToArray()).ToList();
        string? png = null;
        if (draw > 0 && n > 0)
        {
            png = Path.Combine(folder, Path.GetFileNameWithoutExtension(file) + "-proposals.png");
            ImageTensor.Write(png, BoxDrawing.Draw(image, boxes.narrow(0, 0, Math.Min(draw, n)), style: new BoxStyle { ShowLabels = false }));
        }
        return new ImageProposalsResult(file, w, h, mode.ToString().ToLowerInvariant(), ms, n, list, png, (double)swd / w);
    }
}
