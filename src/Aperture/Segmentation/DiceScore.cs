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
    public static double[] PerClass(Tensor predicted, Tensor truth, int classes)
    {
        if (!predicted.shape.SequenceEqual(truth.shape))
            throw new ArgumentException($"Dice: prediction [{string.Join(", ", predicted.shape)}] and truth [{string.Join(", ", truth.shape)}] differ in shape");
        using var scope = NewDisposeScope();
        var p = predicted.flatten().to_type(ScalarType.Int64).cpu();
        var g = truth.flatten().to_type(ScalarType.Int64).cpu();
        var pc = bincount(p, minlength: classes).data<long>().ToArray();
        var gc = bincount(g, minlength: classes).data<long>().ToArray();
        var both = bincount(p.masked_select(p.eq(g)), minlength: classes).data<long>().ToArray();
        var dice = new double[classes];
        for (int c = 0; c < classes; c++)
            dice[c] = pc[c] + gc[c] == 0 ? double.NaN : 2.0 * both[c] / (pc[c] + gc[c]);
        return dice;
    }

    /// <summary>The mean of the defined values (NaN when none is).</summary>
    public static double MeanDefined(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToList();
        return defined.Count == 0 ? double.NaN : defined.Average();
    }
}
