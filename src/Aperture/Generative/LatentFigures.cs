using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>Pictures of a VAE's latent space: the 2-D manifold and straight-line interpolations.</summary>
public static class LatentFigures
{
    /// <summary>
    /// The learned manifold of a VAE with 2 latents (Kingma &amp; Welling's figure 4): decoder means on a
    /// <paramref name="side"/> x <paramref name="side"/> grid of z through the inverse Gaussian CDF of evenly spaced
    /// quantiles, written as one PNG.
    /// </summary>
    /// <exception cref="ArgumentException">The VAE does not have 2 latents.</exception>
    public static void Manifold(VariationalAutoencoder vae, string path, int side = 20)
    {
        if (vae.Options.Latent != 2) throw new ArgumentException($"the manifold figure needs a VAE with 2 latents (this one has {vae.Options.Latent})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = linspace(0.05, 0.95, side);
        var values = special.erfinv(q * 2 - 1) * Math.Sqrt(2);
        var zy = values.flip(0).unsqueeze(1).expand(side, side);
        var zx = values.unsqueeze(0).expand(side, side);
        var z = stack([zx.reshape(-1), zy.reshape(-1)], 1);
        var images = vae.Decode(z.to(vae.parameters().First().device)).cpu();
        ImageTensor.Write(path, ImageGrid.Tile(DensityData.ToImages(images), columns: side, padding: 0, scale: 1));
    }

    /// <summary>
    /// Straight lines in latent space between the encodings (means) of pairs of examples: one row per pair, from the
    /// first example's reconstruction to the second's in <paramref name="steps"/> steps, the originals at both ends.
    /// </summary>
    /// <param name="vae">The VAE.</param>
    /// <param name="from">Start examples <c>[P, D]</c>.</param>
    /// <param name="to">End examples <c>[P, D]</c>.</param>
    /// <param name="path">PNG to write.</param>
    /// <param name="steps">Points on each line, ≥ 2.</param>
    public static void Interpolations(VariationalAutoencoder vae, Tensor from, Tensor to, string path, int steps = 10)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = vae.parameters().First().device;
        var (a, _) = vae.Encode(from.to(ScalarType.Float32, device));
        var (b, _) = vae.Encode(to.to(ScalarType.Float32, device));
        var t = linspace(0, 1, steps).to(device).reshape(1, steps, 1);
        var z = a.unsqueeze(1) * (1 - t) + b.unsqueeze(1) * t;                  // [P, steps, L]
        var decoded = vae.Decode(z.reshape(-1, z.shape[2])).cpu().reshape(from.shape[0], steps, -1);
        var rows = cat([from.cpu().unsqueeze(1), decoded, to.cpu().unsqueeze(1)], 1).reshape(-1, from.shape[1]);
        ImageTensor.Write(path, ImageGrid.Tile(DensityData.ToImages(rows), columns: steps + 2, padding: 2, scale: 2));
    }
}
