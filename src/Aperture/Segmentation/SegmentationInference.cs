using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// Runs a segmentation network on an image of any size. Sides that are not multiples of the network's
/// <see cref="ISegmentationNetwork.InputMultiple"/> are padded by reflection at the bottom and right and the scores cropped
/// back, so no "must be divisible by 32" error reaches the user. Images larger than <see cref="Tile"/> run tile by tile
/// (sliding-window inference): tiles of side <see cref="Tile"/> placed every <c>Tile − Overlap</c> pixels on the grid of
/// the input multiple (so pooling grids line up with the whole image's), each tile's scores kept only in its core — the
/// tile without a margin of <c>Overlap / 2</c> on every side that faces another tile — and averaged where two cores
/// overlap (only next to the last tile of a row or column). Memory is bounded by one tile's activations plus the output
/// scores. This is U-Net's overlap-tile strategy: where half the overlap covers the receptive field's radius, the tiled
/// scores equal the whole-image scores.
/// </summary>
/// <param name="Tile">Tile side in pixels (rounded down to a multiple of the input multiple); 0 runs every image whole.</param>
/// <param name="Overlap">Pixels shared by neighbouring tiles (rounded up to an even multiple of the input multiple).</param>
public sealed record SegmentationInference(int Tile = 512, int Overlap = 128)
{
    /// <summary>Checks the values; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (Tile < 0) throw new ArgumentException($"tile side {Tile} must be >= 0 (0: no tiling)");
        if (Overlap < 0 || (Tile > 0 && Overlap >= Tile)) throw new ArgumentException($"tile overlap {Overlap} must be in [0, tile side {Tile})");
    }

    /// <summary>Class scores of one image.</summary>
    /// <param name="network">An <see cref="ISegmentationNetwork"/> in eval mode.</param>
    /// <param name="image">Pixels <c>uint8 [3, H, W]</c> (or float in [0, 1]).</param>
    /// <param name="mean">Per-channel mean (the model card's).</param>
    /// <param name="std">Per-channel standard deviation.</param>
    /// <returns>Scores <c>float32 [K, H, W]</c> on the network's device.</returns>
    public Tensor Scores(nn.Module<Tensor, Tensor> network, Tensor image, float[] mean, float[] std)
    {
        Validate();
        if (network is not ISegmentationNetwork seg) throw new ArgumentException($"{network.GetType().Name} is not a segmentation network");
        if (image.dim() != 3) throw new ArgumentException($"image must be [C, H, W], got [{string.Join(", ", image.shape)}]");
        var device = network.parameters().First().device;
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        int m = seg.InputMultiple, h = (int)image.shape[1], w = (int)image.shape[2];
        var x = image.to(device).to_type(ScalarType.Float32);
        if (image.dtype == ScalarType.Byte) x = x.div(255f);
        if (x.shape[0] == 1) x = x.expand(3, -1, -1);
        x = ((x - tensor(mean, device: device).view(-1, 1, 1)) / tensor(std, device: device).view(-1, 1, 1)).unsqueeze(0);
        int tile = Tile / m * m;
        bool tiled = tile > 0 && (h > tile || w > tile);
        int ph = RoundUp(Math.Max(h, tiled ? tile : 0), m), pw = RoundUp(Math.Max(w, tiled ? tile : 0), m);
        x = Pad(x, ph - h, pw - w);
        var scores = tiled ? Tiled(network, x, tile, m) : network.forward(x);
        return scores[0, .., ..h, ..w].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Labels of one image: the arg-max of <see cref="Scores"/>, <c>uint8 [H, W]</c> on the CPU.</summary>
    /// <inheritdoc cref="Scores" path="/param"/>
    public Tensor Labels(nn.Module<Tensor, Tensor> network, Tensor image, float[] mean, float[] std)
    {
        using var scores = Scores(network, image, mean, std);
        using var arg = scores.argmax(0);
        return arg.to_type(ScalarType.Byte).cpu();
    }

    private static int RoundUp(int v, int m) => (v + m - 1) / m * m;

    /// <summary>Pads <c>[1, C, H, W]</c> at the bottom and right by reflection (replication where the image is too small to reflect).</summary>
    private static Tensor Pad(Tensor x, int bottom, int right)
    {
        if (bottom == 0 && right == 0) return x;
        while (bottom > 0 || right > 0)
        {
            // Reflection needs a pad smaller than the side; repeat on very small images.
            int b = Math.Min(bottom, (int)x.shape[2] - 1), r = Math.Min(right, (int)x.shape[3] - 1);
            if (b <= 0 && r <= 0) return nn.functional.pad(x, new long[] { 0, right, 0, bottom }, PaddingModes.Replicate);
            x = nn.functional.pad(x, new long[] { 0, Math.Max(r, 0), 0, Math.Max(b, 0) }, PaddingModes.Reflect);
            bottom -= Math.Max(b, 0);
            right -= Math.Max(r, 0);
        }
        return x;
    }

    private Tensor Tiled(nn.Module<Tensor, Tensor> network, Tensor x, int tile, int m)
    {
        int h = (int)x.shape[2], w = (int)x.shape[3];
        int overlap = Math.Min(RoundUp(Overlap, 2 * m), tile - m);
        int half = overlap / 2;
        var ys = Starts(h, tile, tile - overlap);
        var xs = Starts(w, tile, tile - overlap);
        Tensor? sum = null;
        var weight = zeros(1, 1, h, w, device: x.device);
        foreach (int y0 in ys)
            foreach (int x0 in xs)
            {
                using var scope = NewDisposeScope();
                var s = network.forward(x[.., .., y0..(y0 + tile), x0..(x0 + tile)]);
                if (sum is null) sum = zeros(1, s.shape[1], h, w, device: x.device).MoveToOuterDisposeScope();
                int top = y0 == 0 ? 0 : half, left = x0 == 0 ? 0 : half;
                int bottom = y0 + tile >= h ? tile : tile - half, right = x0 + tile >= w ? tile : tile - half;
                sum[.., .., (y0 + top)..(y0 + bottom), (x0 + left)..(x0 + right)].add_(s[.., .., top..bottom, left..right]);
                weight[.., .., (y0 + top)..(y0 + bottom), (x0 + left)..(x0 + right)].add_(1);
            }
        return sum!.div_(weight);
    }

    /// <summary>Tile origins along one side: every <paramref name="stride"/> pixels, the last one flush with the end.</summary>
    private static List<int> Starts(int size, int tile, int stride)
    {
        var list = new List<int>();
        if (size <= tile) { list.Add(0); return list; }
        for (int s = 0; ; s += stride)
        {
            if (s + tile >= size) { list.Add(size - tile); break; }
            list.Add(s);
        }
        return list;
    }
}
