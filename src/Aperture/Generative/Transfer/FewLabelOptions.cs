using Aperture.Core;

namespace Aperture.Generative.Transfer;

/// <summary>
/// The few-label protocol (<c>aperture transfer</c>, <c>--set name=value</c>): label counts, seeds, and one fixed
/// training recipe for every column — Adam, a fixed number of steps that grows with the label count (no early stopping:
/// a few-label experiment has no labelled validation set to stop on), no augmentation. Fine-tuning moves the pre-trained
/// encoder at a tenth of the head's learning rate so a hundred labels do not wash its features out.
/// </summary>
public sealed record FewLabelOptions : IValidatable
{
    /// <summary>Labelled training images per experiment.</summary>
    public int[] Labels { get; init; } = [100, 1000, 10000];

    /// <summary>Seeds (draws of the labelled images and of the heads' initialisation) per label count.</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>Optimisation steps; 0: 200 + 100 · log10(labels) (400 for 100 labels, 600 for 10,000).</summary>
    public int Steps { get; init; }

    /// <summary>Mini-batch size (at most the label count).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate for the head and for a network trained from scratch.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The pre-trained encoder's learning rate when fine-tuned, as a fraction of <see cref="LearningRate"/>.</summary>
    public double FineTuneRate { get; init; } = 0.1;

    /// <summary>Adam's L2 weight decay (all parameters trained).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Steps for <paramref name="labels"/> labelled images.</summary>
    public int StepsFor(int labels) => Steps > 0 ? Steps : 200 + (int)Math.Round(100 * Math.Log10(labels));

    /// <inheritdoc/>
    public void Validate()
    {
        if (Labels is null || Labels.Length == 0 || Labels.Any(n => n is < 10 or > 60_000))
            throw new ArgumentException($"labels must list counts in 10..60000 (got [{string.Join(", ", Labels ?? [])}])");
        if (Seeds is < 1 or > 100) throw new ArgumentException($"seeds must be in 1..100 (got {Seeds})");
        if (Steps is < 0 or > 1_000_000) throw new ArgumentException($"steps must be in 0..1000000 (0: by label count; got {Steps})");
        if (BatchSize < 2) throw new ArgumentException($"batch_size must be >= 2 (got {BatchSize})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning_rate must be a positive number (got {LearningRate})");
        if (!(FineTuneRate > 0 && FineTuneRate <= 10)) throw new ArgumentException($"fine_tune_rate must be in (0, 10] (got {FineTuneRate})");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentException($"weight_decay must be >= 0 (got {WeightDecay})");
    }
}
