namespace Aperture.Segmentation;

/// <summary>
/// The pixel confusion matrix of a segmentation and the four scores of the FCN paper's tables (Long, Shelhamer &amp;
/// Darrell, CVPR 2015, section 5), in its notation: <c>n_ij</c> is the number of pixels of class i predicted to belong
/// to class j, <c>t_i = Σ_j n_ij</c> the number of pixels of class i, n_cl the number of classes.
/// <list type="bullet">
/// <item>pixel accuracy <c>Σ_i n_ii / Σ_i t_i</c>;</item>
/// <item>mean accuracy <c>(1/n_cl) Σ_i n_ii / t_i</c>;</item>
/// <item>mean IU <c>(1/n_cl) Σ_i n_ii / (t_i + Σ_j n_ji − n_ii)</c>;</item>
/// <item>frequency-weighted IU <c>(Σ_k t_k)^-1 Σ_i t_i n_ii / (t_i + Σ_j n_ji − n_ii)</c>.</item>
/// </list>
/// As in the paper's evaluation code, a class whose ratio is 0/0 (never in the truth for mean accuracy; neither in the
/// truth nor predicted for IU) is left out of the mean (n_cl counts the classes that are defined), and a class never in
/// the truth but predicted has IU 0. Background is a class. Pixels whose truth is
/// <see cref="PixelCrossEntropy.IgnoreLabel"/> are not counted.
/// </summary>
public sealed class PixelConfusion
{
    private readonly long[,] _n;

    /// <summary>An empty matrix for <paramref name="classes"/> classes (background included).</summary>
    public PixelConfusion(int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least one class");
        Classes = classes;
        _n = new long[classes, classes];
    }

    /// <summary>Number of classes K (background included).</summary>
    public int Classes { get; }

    /// <summary>n_ij: pixels of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _n[truth, predicted];

    /// <summary>Adds one image (or batch): labels as flat arrays of equal length, row-major.</summary>
    /// <param name="truth">True labels (0 .. K-1, or 255 = ignore).</param>
    /// <param name="predicted">Predicted labels (0 .. K-1).</param>
    /// <exception cref="ArgumentException">Lengths differ or a label is out of range.</exception>
    public void Add(ReadOnlySpan<byte> truth, ReadOnlySpan<byte> predicted)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"truth has {truth.Length} pixels but the prediction {predicted.Length}");
        for (int i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if (t == PixelCrossEntropy.IgnoreLabel) continue;
            if (t >= Classes || p >= Classes)
                throw new ArgumentException($"pixel {i}: label {Math.Max(t, p)} is outside the {Classes} classes");
            _n[t, p]++;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> (same number of classes).</summary>
    public void Add(PixelConfusion other)
    {
        if (other.Classes != Classes) throw new ArgumentException($"cannot add a {other.Classes}-class confusion matrix to a {Classes}-class one");
        for (int i = 0; i < Classes; i++)
            for (int j = 0; j < Classes; j++) _n[i, j] += other._n[i, j];
    }

    /// <summary>t_i: pixels whose true class is i.</summary>
    public long Truth(int i)
    {
        long s = 0;
        for (int j = 0; j < Classes; j++) s += _n[i, j];
        return s;
    }

    /// <summary>Σ_j n_ji: pixels predicted as class i.</summary>
    public long Predicted(int i)
    {
        long s = 0;
        for (int j = 0; j < Classes; j++) s += _n[j, i];
        return s;
    }

    /// <summary>Pixels counted, Σ_i t_i.</summary>
    public long Total
    {
        get
        {
            long s = 0;
            for (int i = 0; i < Classes; i++) s += Truth(i);
            return s;
        }
    }

    /// <summary>Pixel accuracy Σ n_ii / Σ t_i (NaN when no pixel was counted).</summary>
    public double PixelAccuracy()
    {
        long diag = 0;
        for (int i = 0; i < Classes; i++) diag += _n[i, i];
        return Total == 0 ? double.NaN : (double)diag / Total;
    }

    /// <summary>Per-class accuracy n_ii / t_i (NaN where t_i = 0).</summary>
    public double ClassAccuracy(int i) => Truth(i) == 0 ? double.NaN : (double)_n[i, i] / Truth(i);

    /// <summary>Per-class IU n_ii / (t_i + Σ_j n_ji − n_ii) (NaN where the class is neither true nor predicted anywhere).</summary>
    public double ClassIoU(int i)
    {
        long union = Truth(i) + Predicted(i) - _n[i, i];
        return union == 0 ? double.NaN : (double)_n[i, i] / union;
    }

    /// <summary>Mean accuracy over the classes present in the truth.</summary>
    public double MeanAccuracy() => NanMean(Enumerable.Range(0, Classes).Select(ClassAccuracy));

    /// <summary>Mean IU over the classes that are true or predicted somewhere.</summary>
    public double MeanIoU() => NanMean(Enumerable.Range(0, Classes).Select(ClassIoU));

    /// <summary>Frequency-weighted IU: each class's IU weighted by its share of the true pixels.</summary>
    public double FrequencyWeightedIoU()
    {
        long total = Total;
        if (total == 0) return double.NaN;
        double s = 0;
        for (int i = 0; i < Classes; i++)
            if (Truth(i) > 0) s += Truth(i) * ClassIoU(i);
        return s / total;
    }

    private static double NanMean(IEnumerable<double> values)
    {
        double s = 0; int n = 0;
        foreach (double v in values)
            if (!double.IsNaN(v)) { s += v; n++; }
        return n == 0 ? double.NaN : s / n;
    }
}
