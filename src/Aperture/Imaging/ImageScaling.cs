using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>
/// Working copies of big images: the work (proposals, detection) runs on a copy whose longer side is at most a given
/// number of pixels, made by area averaging, and the boxes found are mapped back to the original's pixels. This keeps
/// memory and time following from the work rather than from the camera's pixel count.
/// </summary>
public static class ImageScaling
{
    /// <summary>Default longest side of the working copy for <c>propose</c> and <c>detect</c>, in pixels.</summary>
    public const int DefaultMaxSide = 1600;

    /// <summary>
    /// Size of the working copy of an image of <paramref name="height"/> x <paramref name="width"/>: the longer side
    /// becomes <paramref name="maxSide"/>, the other is scaled by the same factor (rounded, at least 1). An image
    /// that already fits, or <paramref name="maxSide"/> ≤ 0 (no limit), keeps its size.
    /// </summary>
    /// <param name="height">Original height.</param>
    /// <param name="width">Original width.</param>
    /// <param name="maxSide">Longest side allowed (≤ 0: no limit).</param>
    public static (int Height, int Width) FitWithin(int height, int width, int maxSide)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"image size {height}x{width} is empty");
        int side = Math.Max(height, width);
        if (maxSide <= 0 || side <= maxSide) return (height, width);
        double s = (double)maxSide / side;
        return (Math.Clamp((int)Math.Round(height * s), 1, maxSide), Math.Clamp((int)Math.Round(width * s), 1, maxSide));
    }

    /// <summary>
    /// The working copy of a uint8 image <c>[C, H, W]</c> whose longer side is at most <paramref name="maxSide"/>
    /// (area averaging, see <see cref="AreaAverage"/>); the image itself when it already fits.
    /// </summary>
    /// <param name="image">Image <c>[C, H, W]</c>, uint8.</param>
    /// <param name="maxSide">Longest side allowed (≤ 0: no limit).</param>
    public static Tensor Downscale(Tensor image, int maxSide)
    {
        if (image.dim() != 3) throw new ArgumentException($"expected an image [C, H, W], got [{string.Join(", ", image.shape)}]");
        int h = (int)image.shape[1], w = (int)image.shape[2];
        var (th, tw) = FitWithin(h, w, maxSide);
        return th == h && tw == w ? image : AreaAverage(image, th, tw);
    }

    /// <summary>
    /// Shrinks a uint8 image <c>[C, H, W]</c> to <c>[C, height, width]</c> by area averaging: each output pixel is the
    /// mean of the source area it covers, source pixels cut by its border counting with the fraction inside.
    /// Memory beyond the input is one float plane of the output size and one source row.
    /// </summary>
    /// <param name="image">Image <c>[C, H, W]</c>, uint8.</param>
    /// <param name="height">Output height, 1..H.</param>
    /// <param name="width">Output width, 1..W.</param>
    public static Tensor AreaAverage(Tensor image, int height, int width)
    {
        if (image.dim() != 3 || image.dtype != ScalarType.Byte)
            throw new ArgumentException($"expected a uint8 image [C, H, W], got {image.dtype} [{string.Join(", ", image.shape)}]");
        int c = (int)image.shape[0], h = (int)image.shape[1], w = (int)image.shape[2];
        if (height < 1 || width < 1 || height > h || width > w)
            throw new ArgumentException($"area averaging shrinks: {h}x{w} cannot become {height}x{width}");
        byte[] src;
        using (var t = image.cpu().contiguous()) src = t.data<byte>().ToArray();
        var (xStart, xWeights) = Spans(w, width);
        var (yStart, yWeights) = Spans(h, height);
        double norm = (double)width / w * height / h;
        var dst = new byte[c * height * width];
        var acc = new double[height * width];
        var row = new double[width];
        for (int ch = 0; ch < c; ch++)
        {
            Array.Clear(acc);
            int plane = ch * h * w;
            for (int y = 0; y < h; y++)
            {
                // The source row resampled horizontally, then added to the (at most two) output rows it overlaps.
                Array.Clear(row);
                for (int x = 0; x < w; x++)
                {
                    double v = src[plane + y * w + x];
                    int o = xStart[x];
                    row[o] += v * xWeights[x];
                    if (xWeights[x] < 1 && o + 1 < width) row[o + 1] += v * (1 - xWeights[x]);
                }
                int oy = yStart[y];
                double wy = yWeights[y];
                var a = acc.AsSpan(oy * width, width);
                for (int x = 0; x < width; x++) a[x] += row[x] * wy;
                if (wy < 1 && oy + 1 < height)
                {
                    var b = acc.AsSpan((oy + 1) * width, width);
                    for (int x = 0; x < width; x++) b[x] += row[x] * (1 - wy);
                }
            }
            int op = ch * height * width;
            for (int i = 0; i < acc.Length; i++) dst[op + i] = (byte)Math.Clamp((int)Math.Round(acc[i] * norm), 0, 255);
        }
        return tensor(dst, new long[] { c, height, width }, ScalarType.Byte);
    }

    /// <summary>
    /// For each of <paramref name="n"/> source cells shrunk to <paramref name="m"/> output cells: the first output
    /// cell it overlaps and the fraction of it inside that cell (the rest, if any, is in the next one).
    /// </summary>
    private static (int[] Start, double[] Weight) Spans(int n, int m)
    {
        var start = new int[n];
        var weight = new double[n];
        // In units of 1/n of the output: source cell i covers [i·m, (i+1)·m), output cell j covers [j·n, (j+1)·n).
        for (int i = 0; i < n; i++)
        {
            long lo = (long)i * m, hi = lo + m;
            int j = (int)(lo / n);
            long border = (long)(j + 1) * n;
            start[i] = j;
            weight[i] = hi <= border ? 1.0 : (double)(border - lo) / m;
        }
        return (start, weight);
    }

    /// <summary>
    /// Maps boxes <c>[K, 4]</c> (x1, y1, x2, y2) found on a working copy of <paramref name="fromHeight"/> x
    /// <paramref name="fromWidth"/> to the original of <paramref name="toHeight"/> x <paramref name="toWidth"/>
    /// pixels: x times W/w, y times H/h, clamped to the original's bounds. Returns a new float32 tensor.
    /// </summary>
    /// <param name="boxes">Boxes <c>[K, 4]</c> in working-copy pixels.</param>
    /// <param name="fromHeight">Working copy height.</param>
    /// <param name="fromWidth">Working copy width.</param>
    /// <param name="toHeight">Original height.</param>
    /// <param name="toWidth">Original width.</param>
    public static Tensor MapBack(Tensor boxes, int fromHeight, int fromWidth, int toHeight, int toWidth)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4) throw new ArgumentException($"expected boxes [K, 4], got [{string.Join(", ", boxes.shape)}]");
        using var scope = NewDisposeScope();
        double sx = (double)toWidth / fromWidth, sy = (double)toHeight / fromHeight;
        var scale = tensor(new[] { sx, sy, sx, sy }, ScalarType.Float64).to(boxes.device);
        var high = tensor(new double[] { toWidth, toHeight, toWidth, toHeight }, ScalarType.Float64).to(boxes.device);
        var mapped = (boxes.to_type(ScalarType.Float64) * scale).clamp_min(0).minimum(high);
        return mapped.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
