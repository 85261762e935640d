using TorchSharp;
using Aperture.Core;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// Settings of the bottleneck and denoising auto-encoders (<c>--set name=value</c> on <c>aperture train autoencoder</c>,
/// snake_case names). The denoising defaults follow Vincent et al. 2008: masking noise destroying 25% of the pixels.
/// Deliberate differences: convolutional rather than fully connected layers, a squared-error loss on [-1, 1] pixels
/// rather than cross-entropy, Adam rather than plain SGD.
/// </summary>
public sealed record AutoEncoderOptions : IValidatable
{
    /// <summary>Largest width and code accepted (a typo guard).</summary>
    public const int MaxSize = 4096;

    /// <summary>Encoder width W (<see cref="ConvEncoder"/>).</summary>
    public int Width { get; init; } = 16;

    /// <summary>Numbers in the bottleneck code.</summary>
    public int CodeSize { get; init; } = 64;

    /// <summary>Input corruption; <see cref="NoiseKind.None"/> is the plain auto-encoder.</summary>
    public NoiseKind Noise { get; init; } = NoiseKind.None;

    /// <summary>ν (masking, salt-and-pepper: fraction of pixels) or σ (Gaussian, [0, 1] pixel units).</summary>
    public double NoiseLevel { get; init; } = 0.25;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <inheritdoc/>
    public void Validate()
    {
        if (Width is < 1 or > MaxSize) throw new ArgumentException($"width must be in 1..{MaxSize} (got {Width})");
        if (CodeSize is < 1 or > MaxSize) throw new ArgumentException($"code_size must be in 1..{MaxSize} (got {CodeSize})");
        if (!Enum.IsDefined(Noise)) throw new ArgumentException($"noise must be none, masking, gaussian or salt_pepper (got {Noise})");
        double max = Noise == NoiseKind.Gaussian ? 10 : 1;
        if (!(NoiseLevel >= 0 && NoiseLevel <= max)) throw new ArgumentException($"noise_level must be in [0, {max}] (got {NoiseLevel})");
        if (BatchSize < 2) throw new ArgumentException($"batch_size must be >= 2 (batch norm needs two images; got {BatchSize})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning_rate must be a positive number (got {LearningRate})");
    }
}
