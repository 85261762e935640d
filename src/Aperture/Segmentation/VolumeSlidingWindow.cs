using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// Sliding-window (tiled) inference for volumes of any size: the volume is padded (edge values repeated) up to the
/// tile on any shorter side, cut into cubic tiles that overlap by a fraction, each batch of tiles run through the
/// network, the softmax probabilities blended into one map (weighted by a Gaussian centred on each tile, σ = side/8,
/// so tile borders — where the network sees least context — count least), and the padding cropped away. Memory is
/// bounded by the output map (K floats a voxel, on the CPU) plus one batch of tiles on the network's device,
/// whatever the volume's size.
/// </summary>
public static class VolumeSlidingWindow
{
    /// <summary>The start offsets of tiles of side <paramref name="tile"/> covering <paramref name="side"/> voxels with the
    /// given overlap: 0, step, 2·step, … and a last tile flush with the end (step = max(1, ⌊tile·(1 − overlap)⌋)).</summary>
    public static IReadOnlyList<long> Starts(long side, int tile, double overlap)
    {
        if (side <= tile) return [0];
        long step = Math.Max(1, (long)Math.Floor(tile * (1 - overlap)));
        var starts = new List<long>();
        for (long s = 0; s + tile < side; s += step) starts.Add(s);
        starts.Add(side - tile);
        return starts;
    }

    /// <summary>Class probabilities of a whole volume.</summary>
    /// <param name="network">Maps <c>[T, C, tile, tile, tile]</c> to logits <c>[T, K, tile, tile, tile]</c> (called under no_grad).</param>
    /// <param name="volume">The (normalised) volume <c>[C, D, H, W]</c>, float32, any device.</param>
    /// <param name="tile">Tile side (the network must accept it).</param>
    /// <param name="overlap">Overlap fraction of neighbouring tiles, in [0, 1).</param>
    /// <param name="gaussian">Gaussian blending weights (else uniform).</param>
    /// <param name="tilesPerBatch">Tiles per network call.</param>
    /// <param name="device">Where the network runs.</param>
    /// <returns>Probabilities <c>float32 [K, D, H, W]</c> on the CPU, summing to 1 over K.</returns>
    /// <exception cref="ArgumentException">The volume is not 4-D, or a setting is out of range.</exception>
    public static Tensor Probabilities(Func<Tensor, Tensor> network, Tensor volume, int tile, double overlap, bool gaussian, int tilesPerBatch, Device device)
    {
        if (volume.dim() != 4) throw new ArgumentException($"sliding window: the volume must be [C, D, H, W], got [{string.Join(", ", volume.shape)}]");
        if (tile < 1 || overlap is < 0 or >= 1 || tilesPerBatch < 1)
            throw new ArgumentException($"sliding window: tile {tile}, overlap {overlap}, tiles per batch {tilesPerBatch} out of range");
        long d = volume.shape[1], h = volume.shape[2], w = volume.shape[3];
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long pd = Math.Max(0, tile - d), ph = Math.Max(0, tile - h), pw = Math.Max(0, tile - w);
        var x = volume.to_type(ScalarType.Float32).cpu();
        if (pd + ph + pw > 0)
            x = nn.functional.pad(x.unsqueeze(0), new long[] { 0, pw, 0, ph, 0, pd }, TorchSharp.PaddingModes.Replicate).squeeze(0);
        long D = x.shape[1], H = x.shape[2], W = x.shape[3];
        var weight = Weights(tile, gaussian);
        var tiles = (from z in Starts(D, tile, overlap) from y in Starts(H, tile, overlap) from xx in Starts(W, tile, overlap) select (z, y, xx)).ToList();
        Tensor? sum = null;
        var weightSum = zeros(D, H, W);
        for (int b = 0; b < tiles.Count; b += tilesPerBatch)
        {
            using var batchScope = NewDisposeScope();
            var group = tiles.Skip(b).Take(tilesPerBatch).ToList();
            var input = stack(group.Select(t => x.narrow(1, t.z, tile).narrow(2, t.y, tile).narrow(3, t.xx, tile)).ToArray()).to(device);
            var probs = network(input).softmax(1).cpu();
            if (sum is null)
            {
                sum = zeros(probs.shape[1], D, H, W);
                sum.MoveToOuterDisposeScope();
            }
            for (int i = 0; i < group.Count; i++)
            {
                var (z, y, xx) = group[i];
                sum.narrow(1, z, tile).narrow(2, y, tile).narrow(3, xx, tile).add_(probs[i].mul(weight));
                weightSum.narrow(0, z, tile).narrow(1, y, tile).narrow(2, xx, tile).add_(weight);
            }
        }
        var result = sum!.div(weightSum.unsqueeze(0)).narrow(1, 0, d).narrow(2, 0, h).narrow(3, 0, w).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Tile weights <c>[tile, tile, tile]</c>: a Gaussian of σ = tile/8 around the centre, scaled to peak 1 and floored at 1e-3 (so every voxel counts), or ones.</summary>
    public static Tensor Weights(int tile, bool gaussian)
    {
        if (!gaussian) return ones(tile, tile, tile);
        using var scope = NewDisposeScope();
        double sigma = tile / 8.0, centre = (tile - 1) / 2.0;
        var axis = arange(tile, ScalarType.Float32).sub(centre).square().div(-2 * sigma * sigma).exp();
        var g = axis.view(-1, 1, 1).mul(axis.view(1, -1, 1)).mul(axis.view(1, 1, -1));
        return g.div(g.max()).clamp_min(1e-3f).MoveToOuterDisposeScope();
    }
}
