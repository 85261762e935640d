namespace Aperture.Generative;

/// <summary>The observation model p(x | z) of a decoder.</summary>
public enum DecoderKind
{
    /// <summary>Bernoulli pixels with logits from the network, for binarised data.</summary>
    Bernoulli,

    /// <summary>Gaussian pixels: the network gives the mean, each pixel has its own learned variance (shared over
    /// examples), for continuous (dequantised) data.</summary>
    Gaussian,
}
