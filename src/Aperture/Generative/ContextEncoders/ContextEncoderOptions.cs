using TorchSharp;
using Aperture.Core;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// Settings of the context encoder (<c>--set name=value</c> on <c>aperture train context-encoder</c>, snake_case names).
/// Defaults follow Pathak et al. 2016: λ_adv = 0.001 (and λ_rec = 1 − λ_adv = 0.999), Adam with β1 = 0.5 as in DCGAN,
/// the central-region mask. <c>adversarial_weight=0</c> is the L2-only model of the paper's comparison. Deliberate
/// differences: two encoder stages for 28x28 images (the paper's AlexNet-style encoder is for 128x128), learning rate
/// 2e-4 for both networks, and the reconstruction loss on the masked region only (no 10x-weighted overlap band).
/// </summary>
public sealed record ContextEncoderOptions : IValidatable
{
    /// <summary>Largest width accepted (a typo guard).</summary>
    public const int MaxSize = 4096;

    /// <summary>Encoder width W (<see cref="AutoEncoders.ConvEncoder"/>).</summary>
    public int Width { get; init; } = 16;

    /// <summary>Which region is removed.</summary>
    public MaskKind Mask { get; init; } = MaskKind.Centre;

    /// <summary>λ_adv; the reconstruction loss is weighted 1 − λ_adv. 0: L2 alone, no discriminator.</summary>
    public double AdversarialWeight { get; init; } = 0.001;

    /// <summary>Base width of the discriminator (<see cref="Gan.DcganDiscriminator"/>).</summary>
    public int DiscriminatorWidth { get; init; } = 16;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate (both networks).</summary>
    public double LearningRate { get; init; } = 2e-4;

    /// <summary>Adam's β1 (both networks).</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Whether a discriminator is trained.</summary>
    public bool Adversarial => AdversarialWeight > 0;

    /// <inheritdoc/>
    public void Validate()
    {
        if (Width is < 1 or > MaxSize) throw new ArgumentException($"width must be in 1..{MaxSize} (got {Width})");
        if (DiscriminatorWidth is < 1 or > MaxSize) throw new ArgumentException($"discriminator_width must be in 1..{MaxSize} (got {DiscriminatorWidth})");
        if (!Enum.IsDefined(Mask)) throw new ArgumentException($"mask must be centre or random_block (got {Mask})");
        if (!(AdversarialWeight >= 0 && AdversarialWeight < 1)) throw new ArgumentException($"adversarial_weight must be in [0, 1) (got {AdversarialWeight})");
        if (BatchSize < 2) throw new ArgumentException($"batch_size must be >= 2 (batch norm needs two images; got {BatchSize})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning_rate must be a positive number (got {LearningRate})");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1) (got {Beta1})");
    }
}
