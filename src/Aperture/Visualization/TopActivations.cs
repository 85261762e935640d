using Aperture.Imaging;
using Aperture.Nn;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Visualization;

/// <summary>One of the strongest activations of a feature map over a dataset.</summary>
/// <param name="Channel">The feature map.</param>
/// <param name="Value">The activation.</param>
/// <param name="ImageIndex">Index of the image in the dataset.</param>
/// <param name="Row">Row of the unit in the layer's map.</param>
/// <param name="Col">Column of the unit.</param>
public sealed record TopActivation(int Channel, float Value, long ImageIndex, int Row, int Col);

/// <summary>A feature map's top activations with their image patches and deconvnet reconstructions.</summary>
/// <param name="Channel">The feature map.</param>
/// <param name="Hits">The activations, strongest first (one per image).</param>
/// <param name="Patches">The input patches under each unit's receptive field, <c>[k, C, s, s]</c> float in [0, 1]; where the field sticks out of the image it is mid-grey.</param>
/// <param name="Reconstructions">The deconvnet reconstructions cropped the same way, each scaled to [0, 1] by its own range, <c>[k, C, s, s]</c> float.</param>
public sealed record FeatureMapTop(int Channel, IReadOnlyList<TopActivation> Hits, Tensor Patches, Tensor Reconstructions) : IDisposable
{
    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Patches.Dispose();
        Reconstructions.Dispose();
    }
}

/// <summary>
/// The nine strongest activations of feature maps over a dataset, shown as Zeiler &amp; Fergus do (ECCV 2014, fig. 2):
/// per feature map the deconvnet reconstructions of its top activations beside the image patches that caused them.
/// </summary>
public static class TopActivations
{
    /// <summary>
    /// Finds, per feature map, the <paramref name="top"/> strongest activations over the dataset, at most one per image
    /// (each image's maximum of the map). Runs in batches, each in its own dispose scope.
    /// </summary>
    /// <param name="deconv">The deconvnet of the trained network.</param>
    /// <param name="images">The dataset <c>[N, C, H, W]</c> (uint8, or float in [0, 1]).</param>
    /// <param name="layer">Layer name (see <see cref="Deconvnet.LayerNames"/>).</param>
    /// <param name="channels">The feature maps to search; null for all.</param>
    /// <param name="top">How many per map (9 in the paper).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="prepare">Maps a batch in [0, 1] <c>[B, C, H, W]</c> float to the network's input (e.g. normalisation); null for none.</param>
    /// <returns>Per chosen map (in the order given), its hits, strongest first.</returns>
    /// <exception cref="ArgumentException">Unknown layer or channel (the message lists the valid ones).</exception>
    public static IReadOnlyList<IReadOnlyList<TopActivation>> Find(Deconvnet deconv, Tensor images, string layer,
        IReadOnlyList<int>? channels = null, int top = 9, int batchSize = 256, Func<Tensor, Tensor>? prepare = null)
    {
        CheckImages(images);
        if (top < 1) throw new ArgumentOutOfRangeException(nameof(top), top, "top must be ≥ 1");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be ≥ 1");
        NetworkLayers.IndexOf(deconv.Layers, layer);
        long n = images.shape[0];
        int[]? chosen = null;
        var best = new List<TopActivation>[0];
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long b = Math.Min(batchSize, n - start);
            var input = Prepare(images.narrow(0, start, b), prepare);
            var acts = deconv.Activations(input, layer); // [B, K, h, w]
            long k = acts.shape[1], w = acts.shape[3];
            if (chosen is null)
            {
                chosen = (channels ?? Enumerable.Range(0, (int)k).ToList()).ToArray();
                foreach (int c in chosen)
                    if (c < 0 || c >= k) throw new ArgumentException($"layer '{layer}' has feature maps 0 … {k - 1}; channel {c} does not exist");
                best = chosen.Select(_ => new List<TopActivation>()).ToArray();
            }
            var sel = acts.index_select(1, tensor(chosen.Select(c => (long)c).ToArray(), device: acts.device)).flatten(2); // [B, M, h*w]
            var (vals, idx) = sel.max(2);
            float[] v = vals.cpu().contiguous().data<float>().ToArray();
            long[] p = idx.cpu().contiguous().data<long>().ToArray();
            for (int m = 0; m < chosen.Length; m++)
            {
                for (int i = 0; i < b; i++)
                {
                    int o = i * chosen.Length + m;
                    best[m].Add(new TopActivation(chosen[m], v[o], start + i, (int)(p[o] / w), (int)(p[o] % w)));
                }
                best[m] = best[m].OrderByDescending(a => a.Value).ThenBy(a => a.ImageIndex).Take(top).ToList();
            }
        }
        return best;
    }

    /// <summary>
    /// <see cref="Find"/>, then for each hit the image patch under its unit's receptive field and the deconvnet
    /// reconstruction of that single activation, cropped to the same field.
    /// </summary>
    /// <param name="deconv">The deconvnet of the trained network.</param>
    /// <param name="images">The dataset <c>[N, C, H, W]</c> (uint8, or float in [0, 1]).</param>
    /// <param name="layer">Layer name.</param>
    /// <param name="channels">The feature maps; null for all.</param>
    /// <param name="top">How many per map.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <param name="prepare">Maps a batch in [0, 1] to the network's input; null for none.</param>
    /// <param name="path">Deconvnet (the paper) or guided backpropagation / gradient.</param>
    /// <returns>Per chosen map its hits, patches and reconstructions (tensors owned by the caller's dispose scope).</returns>
    public static IReadOnlyList<FeatureMapTop> Collect(Deconvnet deconv, Tensor images, string layer, IReadOnlyList<int>? channels = null,
        int top = 9, int batchSize = 256, Func<Tensor, Tensor>? prepare = null, ReversePath path = ReversePath.Deconvnet)
    {
        var found = Find(deconv, images, layer, channels, top, batchSize, prepare);
        int height = (int)images.shape[2], width = (int)images.shape[3];
        var rf = ReceptiveField.Find(ReceptiveField.Of(deconv.Layers.Select(LayerGeometry.Of), Math.Min(height, width)), layer);
        var result = new List<FeatureMapTop>();
        foreach (var hits in found)
        {
            using var scope = NewDisposeScope();
            var index = tensor(hits.Select(h => h.ImageIndex).ToArray());
            var raw = ToUnit(images.index_select(0, index));
            var input = Prepare(images.index_select(0, index), prepare);
            using var rec = deconv.Reconstruct(input, layer, hits[0].Channel, hits.Select(h => (h.Row, h.Col)).ToList(), path);
            var patches = new List<Tensor>();
            var recs = new List<Tensor>();
            for (int i = 0; i < hits.Count; i++)
            {
                patches.Add(Crop(raw[i], rf, hits[i].Row, hits[i].Col, 0.5));
                recs.Add(Crop(rec.Pixels[i].to_type(ScalarType.Float32), rf, hits[i].Row, hits[i].Col, 0.0));
            }
            var recStack = ImageGrid.NormalizeEach(stack(recs));
            result.Add(new FeatureMapTop(hits[0].Channel, hits, stack(patches).MoveToOuterDisposeScope(), recStack.MoveToOuterDisposeScope()));
        }
        return result;
    }

    /// <summary>
    /// The paper's figure: per feature map a block of reconstructions (3 x 3 for nine hits) beside a block of the patches,
    /// blocks laid out <paramref name="columns"/> per row, each captioned with its map's number.
    /// </summary>
    /// <param name="maps">From <see cref="Collect"/>.</param>
    /// <param name="scale">Integer upscaling of each patch.</param>
    /// <param name="columns">Blocks per row.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public static Tensor Grid(IReadOnlyList<FeatureMapTop> maps, int scale = 2, int columns = 4)
    {
        if (maps.Count == 0) throw new ArgumentException("no feature maps to draw");
        using var scope = NewDisposeScope();
        var blocks = new List<Tensor>();
        foreach (var m in maps)
        {
            int per = (int)Math.Ceiling(Math.Sqrt(m.Hits.Count));
            var left = ImageGrid.Tile(m.Reconstructions, per, 1, scale);
            var right = ImageGrid.Tile(m.Patches, per, 1, scale);
            var gap = full(3, left.shape[1], 3, (byte)255, ScalarType.Byte);
            blocks.Add(cat(new[] { left, gap, right }, 2));
        }
        long bh = blocks.Max(b => b.shape[1]), bw = blocks.Max(b => b.shape[2]);
        var padded = stack(blocks.Select(b => F.pad(b, new long[] { 0, bw - b.shape[2], 0, bh - b.shape[1] }, value: 255)).ToArray());
        var captions = maps.Select(m => Caption.Plain($"map {m.Channel}  max {m.Hits[0].Value:0.00}")).ToList();
        return ImageGrid.Tile(padded, Math.Min(columns, maps.Count), 6, 1, captions).MoveToOuterDisposeScope();
    }

    /// <summary>The unit's receptive field cut from <paramref name="image"/> <c>[C, H, W]</c>; outside the image filled with <paramref name="fill"/>; the whole image when the field covers it.</summary>
    private static Tensor Crop(Tensor image, ReceptiveField rf, int row, int col, double fill)
    {
        long h = image.shape[1], w = image.shape[2];
        if (rf.Size >= h && rf.Size >= w) return image.clone();
        var (x1, y1, _, _) = rf.UnitBox(row, col);
        int r = rf.Size;
        var padded = F.pad(image.unsqueeze(0), new long[] { r, r, r, r }, value: fill)[0];
        return padded.narrow(1, y1 + r, r).narrow(2, x1 + r, r).clone();
    }

    internal static Tensor ToUnit(Tensor images) =>
        images.dtype == ScalarType.Byte ? images.to_type(ScalarType.Float32).div(255) : images.to_type(ScalarType.Float32);

    internal static Tensor Prepare(Tensor images, Func<Tensor, Tensor>? prepare)
    {
        var x = ToUnit(images);
        return prepare is null ? x : prepare(x);
    }

    internal static void CheckImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[0] == 0)
            throw new ArgumentException($"images must be a non-empty batch [N, C, H, W], got [{string.Join(", ", images.shape)}]");
        if (images.dtype != ScalarType.Byte && !images.is_floating_point())
            throw new ArgumentException($"images must be uint8 or float in [0, 1], got {images.dtype}");
    }
}
