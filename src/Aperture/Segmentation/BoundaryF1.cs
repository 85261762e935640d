namespace Aperture.Segmentation;

/// <summary>
/// The boundary F1 score (BF) of Csurka, Larlus &amp; Perronnin, "What is a good evaluation measure for semantic
/// segmentation?", BMVC 2013: for each class c, the boundary pixels of the predicted region of c and of the true region
/// of c; precision P_c = the share of predicted boundary pixels within <see cref="Tolerance"/> pixels (Euclidean) of a
/// true boundary pixel, recall R_c = the share of true boundary pixels within the tolerance of a predicted one,
/// F1_c = 2 P_c R_c / (P_c + R_c). Per image, the F1 scores are averaged over its classes; the score of a set is the
/// mean over images. It looks only at the contours, so it shows what coarse upsampling (FCN-32s) does to boundaries
/// when mean IU barely moves.
/// <para>
/// Details the paper leaves open, chosen here: a boundary pixel of a region is a pixel of the region with a 4-neighbour
/// inside the image that is not in the region (the image border is not a boundary). Truth pixels labelled
/// <see cref="PixelCrossEntropy.IgnoreLabel"/> belong to no class, and predicted boundary pixels that fall on them are
/// not counted. Classes: a class with no boundary pixel in either the truth or the prediction (absent from both, or
/// filling the whole image in both) is left out of the image's mean; a class with boundary pixels on one side only
/// scores 0 (all its boundary is missed or spurious). An image with no class left is left out of the set's mean.
/// Background (class 0) counts as a class, as in the paper's VOC evaluation.
/// </para>
/// </summary>
public sealed class BoundaryF1
{
    private double _sum;
    private int _images;

    /// <summary>A scorer with a distance tolerance in pixels (the paper's θ; 2 by default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite tolerance.</exception>
    public BoundaryF1(double tolerance = 2)
    {
        if (!(tolerance >= 0) || !double.IsFinite(tolerance))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "the boundary tolerance must be a distance >= 0 in pixels");
        Tolerance = tolerance;
    }

    /// <summary>Distance in pixels within which a boundary pixel counts as matched.</summary>
    public double Tolerance { get; }

    /// <summary>Images scored so far (those with at least one class scored).</summary>
    public int Images => _images;

    /// <summary>The mean over the images scored so far (NaN before any).</summary>
    public double Mean => _images == 0 ? double.NaN : _sum / _images;

    /// <summary>Scores one image and adds it to the mean; returns its score (NaN when no class could be scored).</summary>
    /// <param name="truth">True labels <c>[H, W]</c> row-major (255 = ignore).</param>
    /// <param name="predicted">Predicted labels <c>[H, W]</c> row-major.</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="classes">Number of classes K, background included.</param>
    public double Add(ReadOnlySpan<byte> truth, ReadOnlySpan<byte> predicted, int width, int height, int classes)
    {
        double f = Score(truth, predicted, width, height, classes, Tolerance);
        if (!double.IsNaN(f)) { _sum += f; _images++; }
        return f;
    }

    /// <summary>The boundary F1 of one image (NaN when no class has a boundary pixel on either side).</summary>
    /// <param name="truth">True labels <c>[H, W]</c> row-major (255 = ignore).</param>
    /// <param name="predicted">Predicted labels <c>[H, W]</c> row-major.</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="classes">Number of classes K, background included.</param>
    /// <param name="tolerance">Distance tolerance in pixels.</param>
    public static double Score(ReadOnlySpan<byte> truth, ReadOnlySpan<byte> predicted, int width, int height, int classes, double tolerance = 2)
    {
        int n = width * height;
        if (truth.Length != n || predicted.Length != n)
            throw new ArgumentException($"truth ({truth.Length}) and prediction ({predicted.Length}) must both have {width}x{height} pixels");
        var perClass = PerClass(truth, predicted, width, height, classes, tolerance);
        double s = 0; int count = 0;
        foreach (double f in perClass)
            if (!double.IsNaN(f)) { s += f; count++; }
        return count == 0 ? double.NaN : s / count;
    }

    /// <summary>F1 of each class in one image (NaN for a class with no boundary pixel on either side).</summary>
    /// <param name="truth">True labels <c>[H, W]</c> row-major (255 = ignore).</param>
    /// <param name="predicted">Predicted labels <c>[H, W]</c> row-major.</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="classes">Number of classes K, background included.</param>
    /// <param name="tolerance">Distance tolerance in pixels.</param>
    public static double[] PerClass(ReadOnlySpan<byte> truth, ReadOnlySpan<byte> predicted, int width, int height, int classes, double tolerance = 2)
    {
        int n = width * height;
        var ignore = new bool[n];
        for (int i = 0; i < n; i++) ignore[i] = truth[i] == PixelCrossEntropy.IgnoreLabel;
        var offsets = Disk(tolerance);
        var result = new double[classes];
        var tb = new bool[n];
        var pb = new bool[n];
        for (int c = 0; c < classes; c++)
        {
            int nt = Boundary(truth, (byte)c, width, height, tb, null);
            int np = Boundary(predicted, (byte)c, width, height, pb, ignore);
            if (nt == 0 && np == 0) { result[c] = double.NaN; continue; }
            if (nt == 0 || np == 0) { result[c] = 0; continue; }
            double precision = (double)Matched(pb, tb, width, height, offsets) / np;
            double recall = (double)Matched(tb, pb, width, height, offsets) / nt;
            result[c] = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }
        return result;
    }

    /// <summary>Marks the boundary pixels of the region <c>labels == c</c>; returns how many (those on ignored pixels left out).</summary>
    private static int Boundary(ReadOnlySpan<byte> labels, byte c, int w, int h, bool[] into, bool[]? ignore)
    {
        int count = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                bool b = labels[i] == c && ignore?[i] != true
                    && ((x > 0 && labels[i - 1] != c) || (x < w - 1 && labels[i + 1] != c) || (y > 0 && labels[i - w] != c) || (y < h - 1 && labels[i + w] != c));
                into[i] = b;
                if (b) count++;
            }
        return count;
    }

    /// <summary>How many marked pixels of <paramref name="from"/> have a marked pixel of <paramref name="to"/> within the disk.</summary>
    private static int Matched(bool[] from, bool[] to, int w, int h, (int Dx, int Dy)[] disk)
    {
        int count = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (!from[y * w + x]) continue;
                foreach (var (dx, dy) in disk)
                {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && xx < w && yy >= 0 && yy < h && to[yy * w + xx]) { count++; break; }
                }
            }
        return count;
    }

    /// <summary>The integer offsets within Euclidean distance <paramref name="r"/>, nearest first.</summary>
    private static (int Dx, int Dy)[] Disk(double r)
    {
        int k = (int)Math.Floor(r);
        var list = new List<(int, int)>();
        for (int dy = -k; dy <= k; dy++)
            for (int dx = -k; dx <= k; dx++)
                if (dx * dx + dy * dy <= r * r + 1e-9) list.Add((dx, dy));
        return list.OrderBy(o => o.Item1 * o.Item1 + o.Item2 * o.Item2).ToArray();
    }
}
