using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>Over what the sums of <see cref="DiceLoss"/> run before the ratio is taken.</summary>
public enum DiceReduction
{
    /// <summary>One Dice per class over the whole mini-batch (sums over N and every spatial position), as V-Net's
    /// single-volume batches compute it; a class absent from one example does not make that example's ratio 0/0.</summary>
    Batch,

    /// <summary>One Dice per (example, class), then the mean over examples.</summary>
    PerExample,
}

/// <summary>Settings of <see cref="DiceLoss"/>.</summary>
public sealed record DiceLossOptions
{
    /// <summary>Average the background class (index 0) with the others. False drops its term from the mean only:
    /// the softmax is still taken over all K channels, so the background logit keeps its gradient through the
    /// normalisation (a sigmoid-per-channel or a softmax over channels 1..K−1 would be a different, wrong, loss).</summary>
    public bool IncludeBackground { get; init; } = true;

    /// <summary>Smoothing ε added to numerator and denominator: keeps the ratio defined (→ 1) for a class absent from
    /// both prediction and truth, and softens the gradient of tiny structures.</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>Milletari et al.'s form, Σp² + Σg² in the denominator, instead of the plain Σp + Σg.</summary>
    public bool SquaredDenominator { get; init; }

    /// <summary>Voxels whose label equals this are left out of every sum (null: none).</summary>
    public int? IgnoreLabel { get; init; }

    /// <summary>Over what the sums run.</summary>
    public DiceReduction Reduction { get; init; } = DiceReduction.Batch;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (!(Epsilon >= 0) || !double.IsFinite(Epsilon)) throw new ArgumentException($"Dice loss: epsilon {Epsilon} must be a finite number >= 0");
        if (IgnoreLabel is < 0) throw new ArgumentException($"Dice loss: ignore label {IgnoreLabel} must be >= 0 (or unset)");
    }
}

/// <summary>
/// Soft multi-class Dice loss (Milletari, Navab &amp; Ahmadi, "V-Net", 3DV 2016, eq. 1, extended to K classes):
/// with p = softmax(logits) over the K channels and g the one-hot labels, per class c
/// D_c = (2 Σ p_c g_c + ε) / (Σ p_c + Σ g_c + ε) (or Σ p_c² + Σ g_c² in the denominator, the paper's form), and
/// L = 1 − mean_c D_c, the mean over all classes or over the foreground classes 1..K−1. Works for any number of spatial
/// dimensions: logits <c>[N, K, *spatial]</c> against labels <c>[N, *spatial]</c> (2-D images and 3-D volumes alike).
/// Differences from the paper: ε smoothing (the paper has none) and K classes (the paper has two, foreground only).
/// </summary>
public static class DiceLoss
{
    /// <summary>The loss, a scalar <c>[]</c> in the logits' dtype, 0 for a perfect confident prediction.</summary>
    /// <param name="logits">Class scores <c>[N, K, *spatial]</c>, floating point, K ≥ 2 (K ≥ 1 with background included).</param>
    /// <param name="labels">Integer labels <c>[N, *spatial]</c> in 0..K−1, or <see cref="DiceLossOptions.IgnoreLabel"/>.</param>
    /// <param name="options">Settings (defaults when null).</param>
    /// <exception cref="ArgumentException">Shapes do not match, the labels are not integers or fall outside 0..K−1.</exception>
    public static Tensor Compute(Tensor logits, Tensor labels, DiceLossOptions? options = null)
    {
        options ??= new DiceLossOptions();
        var dice = PerClass(logits, labels, options);
        using var scope = NewDisposeScope();
        var kept = options.IncludeBackground ? dice : dice.narrow(-1, 1, dice.shape[^1] - 1);
        return kept.mean().neg().add(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The soft Dice coefficient of every class: <c>[K]</c> with <see cref="DiceReduction.Batch"/>, averaged over
    /// examples for <see cref="DiceReduction.PerExample"/> (also <c>[K]</c>); differentiable with respect to the logits.
    /// </summary>
    /// <param name="logits">Class scores <c>[N, K, *spatial]</c>.</param>
    /// <param name="labels">Integer labels <c>[N, *spatial]</c>.</param>
    /// <param name="options">Settings (defaults when null).</param>
    /// <exception cref="ArgumentException">Shapes do not match, the labels are not integers or fall outside 0..K−1.</exception>
    public static Tensor PerClass(Tensor logits, Tensor labels, DiceLossOptions? options = null)
    {
        options ??= new DiceLossOptions();
        options.Validate();
        Check(logits, labels, options);
        long k = logits.shape[1];
        using var scope = NewDisposeScope();
        var probs = logits.softmax(1);
        var valid = options.IgnoreLabel is int ignore ? labels.ne(ignore) : null;
        var safe = valid is null ? labels.to_type(ScalarType.Int64) : labels.to_type(ScalarType.Int64).where(valid, 0);
        // one_hot puts the class axis last: move it to position 1 to match the logits.
        var order = new long[logits.dim()];
        order[0] = 0; order[1] = logits.dim() - 1;
        for (int d = 2; d < order.Length; d++) order[d] = d - 1;
        var truth = nn.functional.one_hot(safe, k).permute(order).to_type(probs.dtype);
        if (valid is not null)
        {
            var mask = valid.unsqueeze(1).to_type(probs.dtype);
            probs = probs.mul(mask);
            truth = truth.mul(mask);
        }
        var sumDims = Enumerable.Range(2, (int)logits.dim() - 2).Select(d => (long)d).ToList();
        if (options.Reduction == DiceReduction.Batch) sumDims.Insert(0, 0);
        long[] dims = sumDims.ToArray();
        var intersection = probs.mul(truth).sum(dims);
        var denominator = options.SquaredDenominator
            ? probs.square().sum(dims).add(truth.square().sum(dims))
            : probs.sum(dims).add(truth.sum(dims));
        var dice = intersection.mul(2).add(options.Epsilon).div(denominator.add(options.Epsilon));
        if (options.Reduction == DiceReduction.PerExample) dice = dice.mean([0L]);
        return dice.MoveToOuterDisposeScope();
    }

    private static void Check(Tensor logits, Tensor labels, DiceLossOptions options)
    {
        if (logits.dim() < 3)
            throw new ArgumentException($"Dice loss: logits must be [N, K, *spatial] with at least one spatial axis, got [{string.Join(", ", logits.shape)}]");
        if (!logits.is_floating_point()) throw new ArgumentException($"Dice loss: logits must be floating point, got {logits.dtype}");
        long k = logits.shape[1];
        if (k < 1 || (k < 2 && !options.IncludeBackground))
            throw new ArgumentException($"Dice loss: {k} class channel(s); leaving the background out needs at least 2");
        var expected = new[] { logits.shape[0] }.Concat(logits.shape.Skip(2)).ToArray();
        if (!labels.shape.SequenceEqual(expected))
            throw new ArgumentException($"Dice loss: labels must be [{string.Join(", ", expected)}] to match logits [{string.Join(", ", logits.shape)}], got [{string.Join(", ", labels.shape)}]");
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"Dice loss: labels must be integer class ids, got {labels.dtype}");
        if (labels.numel() == 0) return;
        using var scope = NewDisposeScope();
        var ids = labels.to_type(ScalarType.Int64);
        var considered = options.IgnoreLabel is int ignore ? ids.masked_select(ids.ne(ignore)) : ids;
        if (considered.numel() == 0) return;
        long min = considered.min().item<long>(), max = considered.max().item<long>();
        if (min < 0 || max >= k)
            throw new ArgumentException($"Dice loss: labels span {min}..{max} but the logits have {k} classes (0..{k - 1})"
                + (options.IgnoreLabel is int i ? $" and the ignore label is {i}" : ""));
    }
}
