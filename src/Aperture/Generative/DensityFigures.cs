using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>The pictures of one density model: samples, and reconstructions where the model defines them.</summary>
/// <param name="Samples">A grid of 64 samples (the VAE's decoder means; draws for the others).</param>
/// <param name="Reconstructions">Test images (odd rows) over their reconstructions (even rows), or null.</param>
public sealed record DensityFigures(string Samples, string? Reconstructions)
{
    /// <summary>Writes them into <paramref name="folder"/> as <c>PREFIX-samples.png</c> and <c>PREFIX-reconstructions.png</c>.</summary>
    /// <param name="model">The fitted model.</param>
    /// <param name="test">Test examples <c>[M, D]</c>; the first 16 are reconstructed.</param>
    /// <param name="folder">Output folder.</param>
    /// <param name="prefix">File-name prefix.</param>
    /// <param name="seed">Seed of the samples.</param>
    public static DensityFigures Write(IDensityModel model, Tensor test, string folder, string prefix, long seed)
    {
        Core.OutputFolder.Create(folder);
        string P(string name) => Path.Combine(folder, $"{prefix}-{name}.png");
        using var scope = NewDisposeScope();
        var samples = model is VariationalAutoencoder vae ? vae.SampleMeans(64, seed) : model.Sample(64, seed);
        ImageTensor.Write(P("samples"), ImageGrid.Tile(DensityData.ToImages(samples), columns: 8, padding: 2, scale: 2));
        if (!model.CanReconstruct) return new DensityFigures(P("samples"), null);
        var originals = test.narrow(0, 0, Math.Min(16, test.shape[0]));
        var recon = model.Reconstruct(originals);
        ImageTensor.Write(P("reconstructions"), ImageGrid.Tile(DensityData.ToImages(Interleave(originals, recon, 8)), columns: 8, padding: 2, scale: 2));
        return new DensityFigures(P("samples"), P("reconstructions"));
    }

    /// <summary>Rows of <paramref name="columns"/> originals, each followed by the row of their reconstructions: <c>[2N, D]</c>.</summary>
    public static Tensor Interleave(Tensor originals, Tensor reconstructions, int columns)
    {
        var rows = new List<Tensor>();
        for (long i = 0; i < originals.shape[0]; i += columns)
        {
            long c = Math.Min(columns, originals.shape[0] - i);
            rows.Add(originals.narrow(0, i, c).to_type(ScalarType.Float32));
            rows.Add(reconstructions.narrow(0, i, c).to_type(ScalarType.Float32));
        }
        return cat(rows, 0);
    }
}
