using TorchSharp;
namespace Aperture.Generative.ContextEncoders;

/// <summary>Which region a context encoder must fill in (Pathak et al. 2016, section 3.3).</summary>
public enum MaskKind
{
    /// <summary>The central square (half the image side, as the paper's 64x64 centre of a 128x128 image).</summary>
    Centre,

    /// <summary>Several smaller, possibly overlapping random squares covering about a quarter of the image.</summary>
    RandomBlock,
}
