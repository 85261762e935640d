using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// A box from a heatmap by the rule of Zhou et al. (CVPR 2016): keep the pixels whose value is at least a fraction
/// (20%) of the map's maximum, and take the tight box around the largest connected component (8-connectivity).
/// </summary>
public static class HeatmapBoxes
{
    /// <summary>The fraction of the maximum used by Zhou et al.</summary>
    public const double PaperThreshold = 0.2;

    /// <summary>
    /// The box around the largest 8-connected component of { value ≥ <paramref name="fraction"/> · max }.
    /// Ties in component size go to the component holding the map's maximum, then to the first in row order.
    /// </summary>
    /// <param name="heatmap">The map <c>[H, W]</c>, any real dtype, upsampled to the image size first.</param>
    /// <param name="fraction">Threshold as a fraction of the maximum, in (0, 1].</param>
    /// <returns>The box in the map's pixels (x2, y2 exclusive), or null if the maximum is not positive and finite.</returns>
    public static Box? FromHeatmap(Tensor heatmap, double fraction = PaperThreshold)
    {
        if (heatmap.dim() != 2) throw new ArgumentException($"heatmap must be [H, W], got [{string.Join(", ", heatmap.shape)}]");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "fraction must be in (0, 1]");
        int h = (int)heatmap.shape[0], w = (int)heatmap.shape[1];
        if (h == 0 || w == 0) return null;
        float[] v;
        using (var cpu = heatmap.detach().cpu().to_type(ScalarType.Float32).contiguous()) v = cpu.data<float>().ToArray();
        float max = float.NegativeInfinity;
        int argmax = -1;
        for (int i = 0; i < v.Length; i++) if (v[i] > max) { max = v[i]; argmax = i; }
        if (!(max > 0) || float.IsInfinity(max)) return null;
        double t = fraction * max;

        var label = new int[v.Length]; // 0 = not yet visited or below threshold
        var stack = new Stack<int>();
        int best = -1, bestSize = 0, current = 0;
        (int X1, int Y1, int X2, int Y2) bestBox = default;
        for (int start = 0; start < v.Length; start++)
        {
            if (label[start] != 0 || !(v[start] >= t)) continue;
            current++;
            int size = 0, x1 = w, y1 = h, x2 = -1, y2 = -1;
            bool holdsMax = false;
            label[start] = current;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int p = stack.Pop(), py = p / w, px = p % w;
                size++;
                holdsMax |= p == argmax;
                x1 = Math.Min(x1, px); x2 = Math.Max(x2, px); y1 = Math.Min(y1, py); y2 = Math.Max(y2, py);
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int qy = py + dy, qx = px + dx;
                        if ((dy == 0 && dx == 0) || qy < 0 || qy >= h || qx < 0 || qx >= w) continue;
                        int q = qy * w + qx;
                        if (label[q] == 0 && v[q] >= t) { label[q] = current; stack.Push(q); }
                    }
            }
            if (size > bestSize || (size == bestSize && holdsMax))
            {
                best = current; bestSize = size; bestBox = (x1, y1, x2 + 1, y2 + 1);
            }
        }
        return best < 0 ? null : new Box(bestBox.X1, bestBox.Y1, bestBox.X2, bestBox.Y2);
    }
}
