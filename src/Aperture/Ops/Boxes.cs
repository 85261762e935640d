using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>
/// Axis-aligned boxes as <c>float32</c> tensors <c>[K, 4]</c> of (x1, y1, x2, y2) in pixels, with
/// x2 ≥ x1 and y2 ≥ y1. Coordinates are continuous: a box covering pixel columns 3..5 is x1 = 3, x2 = 6,
/// and its width is x2 − x1 (no "+1", as in torchvision and COCO).
/// </summary>
public static class Boxes
{
    /// <summary>Areas <c>[K]</c> (float32) of boxes <c>[K, 4]</c>: (x2 − x1)(y2 − y1).</summary>
    public static Tensor Area(Tensor boxes)
    {
        CheckShape(boxes, nameof(boxes));
        using var scope = NewDisposeScope();
        var b = boxes.to_type(ScalarType.Float32);
        return ((b[.., 2] - b[.., 0]) * (b[.., 3] - b[.., 1])).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Clips boxes <c>[K, 4]</c> to an image of <paramref name="width"/> x <paramref name="height"/> pixels:
    /// x into [0, width], y into [0, height]. A box entirely outside becomes a zero-area box on the border.
    /// </summary>
    public static Tensor Clip(Tensor boxes, int width, int height)
    {
        CheckShape(boxes, nameof(boxes));
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size must be positive, got {width}x{height}");
        using var scope = NewDisposeScope();
        var b = boxes.to_type(ScalarType.Float32);
        var x = b[.., TensorIndex.Slice(0, 4, 2)].clamp(0, width);
        var y = b[.., TensorIndex.Slice(1, 4, 2)].clamp(0, height);
        return stack(new[] { x[.., 0], y[.., 0], x[.., 1], y[.., 1] }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Indices, int64 <c>[K']</c> in increasing order, of the boxes <c>[K, 4]</c> whose width and height are both at
    /// least <paramref name="minSize"/> pixels (torchvision's <c>remove_small_boxes</c>).
    /// </summary>
    public static Tensor RemoveSmall(Tensor boxes, double minSize)
    {
        CheckShape(boxes, nameof(boxes));
        using var scope = NewDisposeScope();
        var b = boxes.to_type(ScalarType.Float32);
        var keep = b[.., 2].sub(b[.., 0]).ge(minSize).logical_and(b[.., 3].sub(b[.., 1]).ge(minSize));
        return nonzero(keep).reshape(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Test-time proposal cleaning: clips proposals <c>[P, 4]</c> to a <paramref name="width"/> x
    /// <paramref name="height"/> image, drops those under <paramref name="minSize"/> pixels wide or high
    /// (<see cref="RemoveSmall"/>), and keeps the first <paramref name="max"/> in their given (rank) order.
    /// Returns contiguous float32 boxes <c>[P', 4]</c> on the CPU.
    /// </summary>
    /// <param name="proposals">Proposals <c>[P, 4]</c> in rank order.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="max">Most proposals kept, or 0 (or less) for all.</param>
    /// <param name="minSize">Smallest width and height kept, pixels (2 by default).</param>
    public static Tensor CleanProposals(Tensor proposals, int width, int height, int max, double minSize = 2)
    {
        if (proposals.dim() != 2 || proposals.shape[1] != 4) throw new ArgumentException($"proposals must be [P, 4], got [{string.Join(", ", proposals.shape)}]");
        var p = Clip(proposals.to_type(ScalarType.Float32).cpu(), width, height);
        p = p.index_select(0, RemoveSmall(p, minSize));
        if (max > 0 && p.shape[0] > max) p = p.narrow(0, 0, max);
        return p.contiguous();
    }

    /// <summary>
    /// Checks boxes <c>[K, 4]</c>: finite coordinates, x2 ≥ x1 and y2 ≥ y1, and (when an image size is given)
    /// inside [0, width] x [0, height]. An empty set <c>[0, 4]</c> is valid.
    /// </summary>
    /// <param name="boxes">Boxes <c>[K, 4]</c>.</param>
    /// <param name="width">Image width, or 0 to skip the inside-image check.</param>
    /// <param name="height">Image height, or 0 to skip the inside-image check.</param>
    /// <param name="source">Where the boxes came from (a file name), named in the error.</param>
    /// <exception cref="ArgumentException">The first bad box, by index, and what is wrong with it.</exception>
    public static void Validate(Tensor boxes, int width = 0, int height = 0, string source = "boxes")
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"{source}: expected boxes [K, 4] (x1, y1, x2, y2), got [{string.Join(", ", boxes.shape)}]");
        var a = ToArray(boxes);
        for (int i = 0; i < a.Length / 4; i++)
        {
            float x1 = a[4 * i], y1 = a[4 * i + 1], x2 = a[4 * i + 2], y2 = a[4 * i + 3];
            string box = $"box {i} ({x1}, {y1}, {x2}, {y2})";
            if (!float.IsFinite(x1) || !float.IsFinite(y1) || !float.IsFinite(x2) || !float.IsFinite(y2))
                throw new ArgumentException($"{source}: {box} has a NaN or infinite coordinate");
            if (x2 < x1 || y2 < y1)
                throw new ArgumentException($"{source}: {box} has negative size (x2 < x1 or y2 < y1)");
            if (width > 0 && height > 0 && (x1 < 0 || y1 < 0 || x2 > width || y2 > height))
                throw new ArgumentException($"{source}: {box} lies outside the {width}x{height} image");
        }
    }

    /// <summary>
    /// Pairwise intersection over union <c>[N, M]</c> (float32) of boxes <c>a [N, 4]</c> and <c>b [M, 4]</c>,
    /// vectorised. Two zero-area boxes have IoU 0 (not NaN).
    /// </summary>
    public static Tensor Iou(Tensor a, Tensor b)
    {
        CheckShape(a, nameof(a));
        CheckShape(b, nameof(b));
        using var scope = NewDisposeScope();
        var fa = a.to_type(ScalarType.Float32);
        var fb = b.to_type(ScalarType.Float32);
        var areaA = Area(fa);
        var areaB = Area(fb);
        var lt = maximum(fa[.., TensorIndex.None, TensorIndex.Slice(0, 2)], fb[TensorIndex.None, .., TensorIndex.Slice(0, 2)]);
        var rb = minimum(fa[.., TensorIndex.None, TensorIndex.Slice(2, 4)], fb[TensorIndex.None, .., TensorIndex.Slice(2, 4)]);
        var wh = (rb - lt).clamp_min(0);
        var inter = wh[.., .., 0] * wh[.., .., 1];
        var union = areaA[.., TensorIndex.None] + areaB[TensorIndex.None, ..] - inter;
        var iou = where(union > 0, inter / union.clamp_min(float.Epsilon), zeros_like(inter));
        return iou.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Greedy non-maximum suppression: visits boxes <c>[K, 4]</c> in decreasing <paramref name="scores"/>
    /// <c>[K]</c> and drops every box whose IoU with an already kept box is above
    /// <paramref name="iouThreshold"/>. Returns the kept indices, int64 <c>[K']</c>, in decreasing score
    /// order (torchvision's <c>nms</c>).
    /// </summary>
    public static Tensor Nms(Tensor boxes, Tensor scores, double iouThreshold)
    {
        CheckShape(boxes, nameof(boxes));
        var b = ToArray(boxes);
        var s = ScoresArray(scores, b.Length / 4);
        var keep = NmsCore(b, s, null, (float)iouThreshold);
        return keep.Length == 0 ? empty(0, ScalarType.Int64) : tensor(keep, ScalarType.Int64);
    }

    /// <summary>
    /// Per-class (batched) NMS: boxes of different <paramref name="classes"/> <c>[K]</c> (integer labels) never
    /// suppress each other. Returns kept indices, int64 <c>[K']</c>, in decreasing score order
    /// (torchvision's <c>batched_nms</c>).
    /// </summary>
    public static Tensor BatchedNms(Tensor boxes, Tensor scores, Tensor classes, double iouThreshold)
    {
        CheckShape(boxes, nameof(boxes));
        var b = ToArray(boxes);
        int k = b.Length / 4;
        var s = ScoresArray(scores, k);
        if (classes.numel() != k) throw new ArgumentException($"classes: expected {k} labels, got {classes.numel()}");
        if (k == 0) return empty(0, ScalarType.Int64);
        using var c64 = classes.to_type(ScalarType.Int64).cpu().contiguous();
        var c = c64.data<long>().ToArray();
        var keep = NmsCore(b, s, c, (float)iouThreshold);
        return keep.Length == 0 ? empty(0, ScalarType.Int64) : tensor(keep, ScalarType.Int64);
    }

    internal static long[] NmsCore(float[] b, float[] s, long[]? cls, float thr)
    {
        int k = s.Length;
        // Decreasing score; ties keep the input order.
        var sorted = new (float Score, int Index)[k];
        for (int i = 0; i < k; i++) sorted[i] = (s[i], i);
        Array.Sort(sorted, (p, q) => p.Score != q.Score ? q.Score.CompareTo(p.Score) : p.Index.CompareTo(q.Index));
        var suppressed = new bool[k];
        var keep = new List<long>();
        for (int oi = 0; oi < k; oi++)
        {
            int i = sorted[oi].Index;
            if (suppressed[i]) continue;
            keep.Add(i);
            float ix1 = b[4 * i], iy1 = b[4 * i + 1], ix2 = b[4 * i + 2], iy2 = b[4 * i + 3];
            float iarea = (ix2 - ix1) * (iy2 - iy1);
            for (int oj = oi + 1; oj < k; oj++)
            {
                int j = sorted[oj].Index;
                if (suppressed[j] || (cls != null && cls[i] != cls[j])) continue;
                float w = MathF.Max(0, MathF.Min(ix2, b[4 * j + 2]) - MathF.Max(ix1, b[4 * j]));
                float h = MathF.Max(0, MathF.Min(iy2, b[4 * j + 3]) - MathF.Max(iy1, b[4 * j + 1]));
                float inter = w * h;
                float union = iarea + (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]) - inter;
                if (union > 0 && inter / union > thr) suppressed[j] = true;
            }
        }
        return keep.ToArray();
    }

    /// <summary>Copies boxes <c>[K, 4]</c> into a flat float array of length 4K.</summary>
    internal static float[] ToArray(Tensor boxes)
    {
        CheckShape(boxes, nameof(boxes));
        if (boxes.numel() == 0) return [];
        using var t = boxes.to_type(ScalarType.Float32).cpu().contiguous();
        return t.data<float>().ToArray();
    }

    internal static float[] ScoresArray(Tensor scores, int k)
    {
        if (scores.numel() != k) throw new ArgumentException($"scores: expected {k} scores (one per box), got {scores.numel()}");
        if (k == 0) return [];
        using var t = scores.to_type(ScalarType.Float32).cpu().contiguous();
        var s = t.data<float>().ToArray();
        for (int i = 0; i < s.Length; i++)
            if (float.IsNaN(s[i])) throw new ArgumentException($"scores: score {i} is NaN");
        return s;
    }

    internal static void CheckShape(Tensor boxes, string name)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"{name}: expected boxes [K, 4] (x1, y1, x2, y2), got [{string.Join(", ", boxes.shape)}]");
    }
}
