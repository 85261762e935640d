using TorchSharp;
namespace Aperture.Generative.AutoEncoders;

/// <summary>How a denoising auto-encoder corrupts its input (Vincent et al. 2008, section 2.3; <see cref="ImageNoise"/>).</summary>
public enum NoiseKind
{
    /// <summary>No corruption: a plain bottleneck auto-encoder.</summary>
    None,

    /// <summary>Masking noise (the paper's): a random fraction ν of the pixels set to black.</summary>
    Masking,

    /// <summary>Additive isotropic Gaussian noise of standard deviation σ (in [0, 1] pixel units), clipped.</summary>
    Gaussian,

    /// <summary>Salt-and-pepper noise: a random fraction ν of the pixels set to black or white with equal probability.</summary>
    SaltPepper,
}
