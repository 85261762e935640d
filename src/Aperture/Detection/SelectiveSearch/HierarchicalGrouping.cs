using System.Numerics;

namespace Aperture.Detection;

/// <summary>One strategy's grouping: every region it made, bottom-up.</summary>
/// <param name="Initial">Number of initial regions n: regions 0..n−1 are the segmentation's, region n + j is merge j.</param>
/// <param name="Boxes">Inclusive pixel boxes (x1, y1, x2, y2), 4 ints per region, initial regions first, then merges in
/// the order they were made (the last one is the whole image when the region graph is connected).</param>
/// <param name="Children">The two regions each merge joined, 2 ints per merge (merge j made region n + j).</param>
internal sealed record Hierarchy(int Initial, int[] Boxes, int[] Children)
{
    /// <summary>Number of regions: initial ones and merges.</summary>
    public int Count => Boxes.Length / 4;
}

/// <summary>
/// Selective search's greedy hierarchical grouping (Uijlings et al. 2013, algorithm 1): repeatedly merge the most
/// similar pair of neighbouring regions, updating the merged region's features incrementally (size-weighted
/// average histograms, union of boxes and of neighbour sets) until one region is left.
/// </summary>
internal static class HierarchicalGrouping
{
    /// <summary>
    /// Runs the grouping; returns every region of the hierarchy (initial regions first, then merges in order) as
    /// inclusive pixel boxes, with the pair each merge joined.
    /// </summary>
    /// <param name="init">The initial segmentation's regions.</param>
    /// <param name="measures">Similarities summed.</param>
    public static Hierarchy Run(InitialRegions init, Similarity measures)
    {
        int n = init.Count, total = 2 * n - 1;
        int cl = init.ColorLength, tl = init.TextureLength;
        var size = new int[total];
        var box = new int[4 * total];
        bool useC = measures.HasFlag(Similarity.Color), useT = measures.HasFlag(Similarity.Texture);
        bool useS = measures.HasFlag(Similarity.Size), useF = measures.HasFlag(Similarity.Fill);
        // Histograms are only carried when their similarity is used.
        if (!useC) cl = 0;
        if (!useT) tl = 0;
        var color = new float[total * cl];
        var texture = new float[total * tl];
        Array.Copy(init.Size, size, n);
        Array.Copy(init.Box, box, 4 * n);
        if (useC) Array.Copy(init.Color, color, n * cl);
        if (useT) Array.Copy(init.Texture, texture, n * tl);
        var neighbours = new List<int>[total];
        for (int i = 0; i < n; i++) neighbours[i] = new List<int>(init.Neighbours[i]);
        var children = new int[2 * (n - 1)];
        var alive = new bool[total];
        for (int i = 0; i < n; i++) alive[i] = true;
        double im = init.ImageSize;

        float Sim(int a, int b)
        {
            double s = 0;
            if (useC) s += Intersection(color.AsSpan(a * cl, cl), color.AsSpan(b * cl, cl));
            if (useT) s += Intersection(texture.AsSpan(a * tl, tl), texture.AsSpan(b * tl, tl));
            if (useS) s += 1 - (size[a] + size[b]) / im;
            if (useF)
            {
                long bw = Math.Max(box[4 * a + 2], box[4 * b + 2]) - Math.Min(box[4 * a], box[4 * b]) + 1;
                long bh = Math.Max(box[4 * a + 3], box[4 * b + 3]) - Math.Min(box[4 * a + 1], box[4 * b + 1]) + 1;
                s += 1 - (bw * bh - size[a] - size[b]) / im;
            }
            return (float)s;
        }

        // Max-priority by similarity; stale pairs (a dead end) are skipped when popped. Ties break by pair order.
        var queue = new PriorityQueue<(int A, int B), (float NegSim, long Order)>();
        long order = 0;
        foreach (var (a, b) in init.Pairs) queue.Enqueue((a, b), (-Sim(a, b), order++));
        int next = n;
        while (queue.TryDequeue(out var pair, out _))
        {
            var (a, b) = pair;
            if (!alive[a] || !alive[b]) continue;
            int t = next++;
            children[2 * (t - n)] = a; children[2 * (t - n) + 1] = b;
            alive[a] = alive[b] = false; alive[t] = true;
            size[t] = size[a] + size[b];
            box[4 * t] = Math.Min(box[4 * a], box[4 * b]);
            box[4 * t + 1] = Math.Min(box[4 * a + 1], box[4 * b + 1]);
            box[4 * t + 2] = Math.Max(box[4 * a + 2], box[4 * b + 2]);
            box[4 * t + 3] = Math.Max(box[4 * a + 3], box[4 * b + 3]);
            float wa = (float)size[a] / size[t], wb = (float)size[b] / size[t];
            Blend(color.AsSpan(a * cl, cl), color.AsSpan(b * cl, cl), color.AsSpan(t * cl, cl), wa, wb);
            Blend(texture.AsSpan(a * tl, tl), texture.AsSpan(b * tl, tl), texture.AsSpan(t * tl, tl), wa, wb);
            var nt = new List<int>(neighbours[a].Count + neighbours[b].Count);
            foreach (int u in neighbours[a]) if (u != b && alive[u]) nt.Add(u);
            foreach (int u in neighbours[b]) if (u != a && alive[u] && !nt.Contains(u)) nt.Add(u);
            neighbours[t] = nt;
            neighbours[a] = neighbours[b] = null!;
            foreach (int u in nt)
            {
                var nu = neighbours[u];
                nu.RemoveAll(x => x == a || x == b);
                nu.Add(t);
                queue.Enqueue((u, t), (-Sim(u, t), order++));
            }
        }
        // Disconnected leftovers (not possible for a connected grid, kept for safety) stay as their own roots.
        Array.Resize(ref box, 4 * next);
        Array.Resize(ref children, 2 * (next - n));
        return new Hierarchy(n, box, children);
    }

    private static double Intersection(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        var acc = Vector<float>.Zero;
        for (; i + Vector<float>.Count <= a.Length; i += Vector<float>.Count)
            acc += Vector.Min(new Vector<float>(a.Slice(i)), new Vector<float>(b.Slice(i)));
        float s = Vector.Sum(acc);
        for (; i < a.Length; i++) s += MathF.Min(a[i], b[i]);
        return s;
    }

    private static void Blend(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> t, float wa, float wb)
    {
        for (int i = 0; i < t.Length; i++) t[i] = wa * a[i] + wb * b[i];
    }
}
