using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>The (hard) Dice coefficient of label maps, the figure V-Net and medical segmentation report: per class c,
/// 2|P_c ∩ G_c| / (|P_c| + |G_c|), undefined (NaN) where the class is in neither map.</summary>
public static class DiceScore
{
    /// <summary>Dice of every class 0..<paramref name="classes"/>−1 between a prediction and the truth.</summary>
    /// <param name="predicted">Class ids, any shape (e.g. <c>[D, H, W]</c>), any integer type.</param>
    /// <param name="truth">Class ids, the same shape.</param>
    /// <param name="classes">K, background included.</param>
    /// <returns>K values in [0, 1], NaN for a class present in neither.</returns>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static double[] PerClass(Tensor predicted, Tensor truth, int classes) => FromCounts(Counts(predicted, truth, classes));

    /// <summary>
    /// Per class c: |P_c ∩ G_c|, |P_c| and |G_c| (voxel counts) — add them over volumes and take <see cref="FromCounts"/> for
    /// the Dice pooled over a whole test set, where a class missing from one volume is not scored 0 (a few stray voxels)
    /// or 1 (none) for that volume alone.
    /// </summary>
    /// <param name="predicted">Class ids, any shape, any integer type.</param>
    /// <param name="truth">Class ids, the same shape.</param>
    /// <param name="classes">K, background included.</param>
    public static (long[] Both, long[] Predicted, long[] Truth) Counts(Tensor predicted, Tensor truth, int classes)
    {
        if (!predicted.shape.SequenceEqual(truth.shape))
            throw new ArgumentException($"Dice: prediction [{string.Join(", ", predicted.shape)}] and truth [{string.Join(", ", truth.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        var p = predicted.flatten().to_type(ScalarType.Int64).cpu();
        var g = truth.flatten().to_type(ScalarType.Int64).cpu();
        var pc = bincount(p, minlength: classes).data<long>().ToArray();
        var gc = bincount(g, minlength: classes).data<long>().ToArray();
        var both = bincount(p.masked_select(p.eq(g)), minlength: classes).data<long>().ToArray();
        return (both, pc, gc);
    }

    /// <summary>Dice per class from counts: 2·both / (predicted + truth), NaN where both counts are 0.</summary>
    public static double[] FromCounts((long[] Both, long[] Predicted, long[] Truth) counts)
    {
        var (both, pc, gc) = counts;
        var dice = new double[both.Length];
        for (int c = 0; c < dice.Length; c++)
            dice[c] = pc[c] + gc[c] == 0 ? double.NaN : 2.0 * both[c] / (pc[c] + gc[c]);
        return dice;
    }

    /// <summary>Adds counts class by class (for pooling over volumes).</summary>
    public static (long[] Both, long[] Predicted, long[] Truth) Add((long[] Both, long[] Predicted, long[] Truth) a, (long[] Both, long[] Predicted, long[] Truth) b) =>
        (a.Both.Zip(b.Both, (x, y) => x + y).ToArray(), a.Predicted.Zip(b.Predicted, (x, y) => x + y).ToArray(), a.Truth.Zip(b.Truth, (x, y) => x + y).ToArray());

    /// <summary>The mean of the defined values (NaN when none is).</summary>
    public static double MeanDefined(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }
}
