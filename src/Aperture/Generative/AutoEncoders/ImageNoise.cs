using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// The corruption process q(x̃ | x) of the denoising auto-encoder (Vincent, Larochelle, Bengio &amp; Manzagol, "Extracting
/// and composing robust features with denoising autoencoders", ICML 2008): masking noise (a fraction ν of the pixels
/// forced to 0, the paper's choice), additive Gaussian, or salt-and-pepper. Images are in the networks' [-1, 1] range,
/// so black is -1 and a σ of the [0, 1] scale is 2σ here. Draws come from libtorch's global generator, which the
/// trainer reseeds from (seed, epoch): a resumed run corrupts the same way.
/// </summary>
public static class ImageNoise
{
    /// <summary>Corrupts images <c>[B, C, H, W]</c> in [-1, 1]; returns a new tensor (the clean one is untouched).</summary>
    /// <param name="images">Clean images.</param>
    /// <param name="kind">The noise.</param>
    /// <param name="level">ν (fraction of pixels, masking and salt-and-pepper) or σ (Gaussian, in [0, 1] units).</param>
    /// <param name="generator">A private generator, or null for libtorch's global one.</param>
    public static Tensor Corrupt(Tensor images, NoiseKind kind, double level, Generator? generator = null)
    {
        if (!(level >= 0) || !double.IsFinite(level)) throw new ArgumentException($"noise level must be >= 0 (got {level})");
        switch (kind)
        {
            case NoiseKind.None:
                return images.clone();
            case NoiseKind.Masking:
            {
                var destroy = rand(images.shape, generator: generator, device: images.device).lt(level);
                return images.masked_fill(destroy, -1);
            }
            case NoiseKind.Gaussian:
                return (images + randn(images.shape, generator: generator, device: images.device).mul(2 * level)).clamp(-1, 1);
            case NoiseKind.SaltPepper:
            {
                var u = rand(images.shape, generator: generator, device: images.device);
                var salt = rand(images.shape, generator: generator, device: images.device).lt(0.5);
                var value = where(salt, ones_like(images), full_like(images, -1));
                return where(u.lt(level), value, images);
            }
            default:
                throw new ArgumentException($"unknown noise kind {kind}");
        }
    }
}
