using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Visualization;

/// <summary>
/// The picture of Zeiler &amp; Fergus's reconstructions: for each image and each reverse path (deconvnet, guided
/// backpropagation, gradient), one row — the image, then the strongest activation of each chosen feature map of a layer
/// mapped back to pixels.
/// </summary>
public static class ReconstructionGrid
{
    /// <summary>Draws the grid.</summary>
    /// <param name="deconv">The deconvnet of the network.</param>
    /// <param name="images">Images <c>uint8 [N, C, S, S]</c>.</param>
    /// <param name="prepare">Maps a batch in [0, 1] to the network's input.</param>
    /// <param name="layer">Layer of the activations.</param>
    /// <param name="paths">Reverse paths, one row each per image.</param>
    /// <param name="channel">One feature map to show, or null for each image's <paramref name="strongest"/> most active maps.</param>
    /// <param name="strongest">How many maps when <paramref name="channel"/> is null.</param>
    /// <param name="scale">Integer upscaling of each tile.</param>
    /// <returns>RGB <c>uint8 [3, H', W']</c>.</returns>
    /// <exception cref="ArgumentException">No such feature map.</exception>
    public static Tensor Draw(Deconvnet deconv, Tensor images, Func<Tensor, Tensor> prepare, string layer, IReadOnlyList<ReversePath> paths,
        int? channel = null, int strongest = 8, int scale = 4)
    {
        using var scope = NewDisposeScope();
        var tiles = new List<Tensor>();
        var captions = new List<Caption>();
        int columns = 0;
        for (long n = 0; n < images.shape[0]; n++)
        {
            var unit = images[n].to_type(ScalarType.Float32).div(255).unsqueeze(0);
            var input = prepare(unit);
            var acts = deconv.Activations(input, layer)[0];
            long k = acts.shape[0];
            if (channel is int c && (c < 0 || c >= k)) throw new ArgumentException($"layer '{layer}' has feature maps 0 … {k - 1}; map {c} does not exist");
            long[] maps = channel is int one ? [one] : acts.amax(new long[] { 1, 2 }).topk((int)Math.Min(strongest, k)).indexes.data<long>().ToArray();
            columns = maps.Length + 1;
            foreach (var path in paths)
            {
                tiles.Add(unit);
                captions.Add(Caption.Plain(Name(path)));
                foreach (long m in maps)
                {
                    using var rec = deconv.Reconstruct(input, layer, (int)m, path: path);
                    tiles.Add(ImageGrid.NormalizeEach(rec.Pixels));
                    captions.Add(Caption.Plain($"map {m}"));
                }
            }
        }
        return ImageGrid.Tile(cat(tiles.ToArray(), 0), columns, 2, scale, captions).MoveToOuterDisposeScope();
    }

    /// <summary>A reverse path's name as the CLI and captions write it.</summary>
    public static string Name(ReversePath path) => path switch
    {
        ReversePath.Deconvnet => "deconvnet",
        ReversePath.GuidedBackpropagation => "guided",
        _ => "gradient",
    };

    /// <summary>A reverse path from its name: <c>deconvnet</c>, <c>guided</c> (or <c>guided-backprop</c>) or <c>gradient</c>.</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static ReversePath Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "deconvnet" => ReversePath.Deconvnet,
        "guided" or "guided-backprop" or "guidedbackpropagation" => ReversePath.GuidedBackpropagation,
        "gradient" => ReversePath.Gradient,
        _ => throw new ArgumentException($"reverse path '{name}' is not one of: deconvnet, guided, gradient"),
    };
}
