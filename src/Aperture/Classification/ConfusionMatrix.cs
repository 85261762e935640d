using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>
/// Counts of (true class, predicted class) pairs over a dataset, and the accuracies read off them.
/// Row i, column j holds how many images of class i were predicted as class j.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Creates an empty K x K matrix.</summary>
    public ConfusionMatrix(IReadOnlyList<string> classNames)
    {
        if (classNames.Count == 0) throw new ArgumentException("a confusion matrix needs at least one class", nameof(classNames));
        ClassNames = classNames;
        _counts = new long[classNames.Count, classNames.Count];
    }

    /// <summary>Names of the K classes, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>K, the number of classes.</summary>
    public int NumClasses => ClassNames.Count;

    /// <summary>How many images of class <paramref name="truth"/> were predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth, predicted];

    /// <summary>Number of images counted.</summary>
    public long Total { get; private set; }

    /// <summary>Adds a batch of predictions.</summary>
    /// <param name="truth">True labels <c>[B]</c>, int64.</param>
    /// <param name="predicted">Predicted labels <c>[B]</c>, int64.</param>
    public void Add(Tensor truth, Tensor predicted)
    {
        if (truth.shape.Length != 1 || !truth.shape.SequenceEqual(predicted.shape))
            throw new ArgumentException($"truth [{string.Join(", ", truth.shape)}] and predictions [{string.Join(", ", predicted.shape)}] must both be [B]");
        using var scope = NewDisposeScope();
        int k = NumClasses;
        var t = truth.cpu().to_type(ScalarType.Int64);
        var p = predicted.cpu().to_type(ScalarType.Int64);
        if (t.numel() == 0) return;
        if (t.min().item<long>() < 0 || t.max().item<long>() >= k || p.min().item<long>() < 0 || p.max().item<long>() >= k)
            throw new ArgumentException($"labels must lie in [0, {k})");
        var flat = bincount(t * k + p, minlength: k * k).data<long>().ToArray();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                _counts[i, j] += flat[i * k + j];
        Total += t.numel();
    }

    /// <summary>Fraction of images whose prediction is right (0 when empty).</summary>
    public double Accuracy
    {
        get
        {
            long right = 0;
            for (int i = 0; i < NumClasses; i++) right += _counts[i, i];
            return Total == 0 ? 0 : (double)right / Total;
        }
    }

    /// <summary>Per class, the fraction of its images predicted right (the recall of each class; NaN for a class with no images).</summary>
    public double[] PerClassAccuracy()
    {
        var acc = new double[NumClasses];
        for (int i = 0; i < NumClasses; i++)
        {
            long row = 0;
            for (int j = 0; j < NumClasses; j++) row += _counts[i, j];
            acc[i] = row == 0 ? double.NaN : (double)_counts[i, i] / row;
        }
        return acc;
    }

    /// <summary>The counts as a K x K array (a copy).</summary>
    public long[,] ToArray() => (long[,])_counts.Clone();
}
