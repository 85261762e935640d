using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>The box bookkeeping shared by the paired transforms: map, clip, drop.</summary>
internal static class PairedGeometry
{
    /// <summary>
    /// Maps the boxes of every image by <c>x' = x * sx + dx[i]</c>, <c>y' = y * sy + dy[i]</c>, clips them to a
    /// <paramref name="width"/> x <paramref name="height"/> image and drops (with their labels) the boxes narrower or
    /// lower than one pixel after clipping. Boxes <c>[K_i, 4]</c> in, <c>[K'_i, 4]</c> out.
    /// </summary>
    public static (IReadOnlyList<Tensor>? Boxes, IReadOnlyList<Tensor>? Labels) MapClipDrop(SampleBatch batch,
        float sx, float sy, long[] dx, long[] dy, long width, long height)
    {
        if (batch.Boxes is null) return (null, batch.BoxLabels?.Select(l => l.alias()).ToList());
        var boxes = new List<Tensor>(batch.Boxes.Count);
        var labels = batch.BoxLabels is null ? null : new List<Tensor>(batch.Boxes.Count);
        for (int i = 0; i < batch.Boxes.Count; i++)
        {
            var src = batch.Boxes[i];
            using var scale = tensor(new[] { sx, sy, sx, sy }, dtype: src.dtype, device: src.device);
            using var shift = tensor(new float[] { dx[i], dy[i], dx[i], dy[i] }, dtype: src.dtype, device: src.device);
            using var mapped = src * scale + shift;
            using var x = mapped.index_select(1, Cols(0, 2, src.device)).clamp(0, width);
            using var y = mapped.index_select(1, Cols(1, 3, src.device)).clamp(0, height);
            using var clipped = stack(new[] { x[.., 0], y[.., 0], x[.., 1], y[.., 1] }, 1);
            using var keep = (x[.., 1] - x[.., 0]).ge(1).logical_and((y[.., 1] - y[.., 0]).ge(1)).nonzero().view(-1);
            boxes.Add(clipped.index_select(0, keep));
            labels?.Add(batch.BoxLabels![i].index_select(0, keep.to(batch.BoxLabels[i].device)));
        }
        return (boxes, labels);
    }

    private static Tensor Cols(long a, long b, Device device) => tensor(new[] { a, b }, device: device);

    /// <summary>New handles on the same tensors (so input and output batches can be disposed independently).</summary>
    public static IReadOnlyList<Tensor>? Alias(IReadOnlyList<Tensor>? list) => list?.Select(t => t.alias()).ToList();

    /// <summary>The generator's per-image choices as a CPU array (for the per-image box bookkeeping).</summary>
    public static long[] ToArray(Tensor t) => t.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
}
