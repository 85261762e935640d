using Aperture.Core;

namespace Aperture.Generative.Gan;

/// <summary>
/// Settings of a DCGAN or conditional GAN (<c>--set name=value</c> on <c>aperture train gan</c>, snake_case names).
/// Defaults follow DCGAN (Radford et al. 2016): Adam with learning rate 2e-4 and β1 = 0.5, N(0, 0.02) initialisation.
/// Deliberate differences, for two CPU cores: widths far smaller than the paper's, and batch 64 instead of 128 (twice
/// the steps for the same compute; a GAN's progress follows its step count more than its image count).
/// </summary>
public sealed record GanOptions : IValidatable
{
    /// <summary>Largest latent size, width and embedding size accepted (a typo guard, not a model limit).</summary>
    public const int MaxSize = 4096;

    /// <summary>Size of the latent vector z ~ N(0, I).</summary>
    public int LatentSize { get; init; } = 64;

    /// <summary>Base channel width W: the generator's 14x14 stage and the discriminator's first stage have W
    /// channels, the 7x7 stages 2W.</summary>
    public int Width { get; init; } = 32;

    /// <summary>Class-conditional (Mirza &amp; Osindero 2014): the label is embedded and joined to z and to the
    /// discriminator's input. Set by <c>--model cgan</c>.</summary>
    public bool Conditional { get; init; }

    /// <summary>Size of the label embedding joined to z (conditional only).</summary>
    public int EmbeddingSize { get; init; } = 16;

    /// <summary>The generator's loss.</summary>
    public GanLossKind Loss { get; init; } = GanLossKind.NonSaturating;

    /// <summary>One-sided label smoothing (Salimans et al. 2016): the discriminator's target for real images is
    /// 1 - this value (fakes stay at 0). 0 turns it off.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Decay of the exponential moving average of the generator's weights (Karras et al. 2018; Yazıcı et
    /// al. 2019): after each generator step, ema = decay · ema + (1 - decay) · weights; batch-norm statistics are
    /// copied. When on, samples, grids and <c>aperture generate</c> use the average. 0 turns it off.</summary>
    public double EmaDecay { get; init; } = 0.999;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate of both networks.</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Adam β1 of both networks (DCGAN: 0.5 instead of 0.9, which oscillated).</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (LatentSize is < 1 or > MaxSize) throw new ArgumentException($"latent_size must be in 1..{MaxSize} (got {LatentSize})");
        if (Width is < 1 or > MaxSize) throw new ArgumentException($"width must be in 1..{MaxSize} (got {Width})");
        if (EmbeddingSize is < 1 or > MaxSize) throw new ArgumentException($"embedding_size must be in 1..{MaxSize} (got {EmbeddingSize})");
        if (!Enum.IsDefined(Loss)) throw new ArgumentException($"loss must be non_saturating or minimax (got {Loss})");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5)) throw new ArgumentException($"label_smoothing must be in [0, 0.5) (got {LabelSmoothing})");
        if (!(EmaDecay >= 0 && EmaDecay < 1)) throw new ArgumentException($"ema_decay must be in [0, 1) (0: off; got {EmaDecay})");
        if (BatchSize < 2) throw new ArgumentException($"batch_size must be >= 2 (batch norm needs two images; got {BatchSize})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning_rate must be a positive number (got {LearningRate})");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1) (got {Beta1})");
    }
}
