namespace Aperture.Detection;

/// <summary>
/// Selective search's ranking of the pooled hypotheses (Uijlings et al. 2013, section 3.3, "Combining locations"):
/// within each strategy's hierarchy the region made at position i, counted from the top (i = 1 is the last merge,
/// the whole image), gets the value RND × i with RND uniform in [0, 1); the regions of all strategies are pooled,
/// sorted by value (ascending), and only then are duplicate boxes removed, the best-ranked copy kept — so a box that
/// several strategies propose has several chances of an early place, as the paper intends.
/// </summary>
/// <remarks>
/// <para>
/// The paper leaves the initial regions' position open; as in the authors' code (<c>Image2HierarchicalGrouping.m</c>),
/// every initial region of a segmentation takes the position below the first merge (m + 1 for m merges), and is
/// listed once per segmentation — not once per similarity set grouped on it, since they are the same regions.
/// (Before issue 13 they took positions m + 1 … 2m + 1 in label order, which favoured the top rows of the image, and
/// were listed once per strategy.)
/// </para>
/// <para>
/// The order is the paper's prior: large regions (the top of every hierarchy) come early and small ones late,
/// softened by the jitter — apt for Pascal VOC, whose objects are large. OpenCV's ximgproc turns it round (its source
/// says so): it ranks by RND × the region's height in its merge tree counted from the bottom (initial regions 1),
/// so its initial regions come first. On small images of small objects that wins the first places: on the report's
/// 128x128 test scenes (items of median 47 px) the initial regions alone hold most objects (measured once: OpenCV's coarser
/// segmentations, k = 150/300/450 with minimum size 100, cover 91% of them with 124 boxes per image), and OpenCV's recall
/// within its first 50 and 100 boxes is well above the paper's ranking; from 300 boxes on, ours is higher
/// (<c>bench -- proposals</c>).
/// </para>
/// </remarks>
internal static class ProposalRanking
{
    /// <summary>
    /// Ranks the regions of <paramref name="hierarchies"/> (one per strategy); returns unique boxes in rank order as
    /// floats (x1, y1, x2, y2 with x2 = last column + 1), at most <paramref name="maxBoxes"/> (≤ 0: all). The same
    /// hierarchies and seed give the same boxes.
    /// </summary>
    /// <param name="hierarchies">Each strategy's hierarchy, in strategy order.</param>
    /// <param name="seed">Seed of the jitter RND.</param>
    /// <param name="maxBoxes">Most boxes kept.</param>
    public static float[] Rank(IReadOnlyList<Hierarchy> hierarchies, long seed, int maxBoxes)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32)) * 1_000_003 + 17));
        var pool = new List<(double Value, int Hierarchy, int Region)>();
        var listed = new HashSet<int>();
        for (int h = 0; h < hierarchies.Count; h++)
        {
            var hi = hierarchies[h];
            int n = hi.Initial, m = hi.Count - n;
            for (int j = 0; j < m; j++) pool.Add((rng.NextDouble() * (m - j), h, n + j));
            if (listed.Add(hi.Segmentation))
                for (int r = 0; r < n; r++) pool.Add((rng.NextDouble() * (m + 1), h, r));
        }
        // Pool order breaks ties, so the ranking does not depend on the sort's internals.
        var order = Enumerable.Range(0, pool.Count).ToArray();
        Array.Sort(order, (p, q) => pool[p].Value != pool[q].Value ? pool[p].Value.CompareTo(pool[q].Value) : p.CompareTo(q));
        var seen = new HashSet<(int, int, int, int)>();
        var result = new List<float>();
        foreach (int k in order)
        {
            var (_, h, r) = pool[k];
            var b = hierarchies[h].Boxes;
            var box = (b[4 * r], b[4 * r + 1], b[4 * r + 2], b[4 * r + 3]);
            if (!seen.Add(box)) continue;
            result.Add(box.Item1); result.Add(box.Item2); result.Add(box.Item3 + 1); result.Add(box.Item4 + 1);
            if (maxBoxes > 0 && result.Count / 4 >= maxBoxes) break;
        }
        return result.ToArray();
    }
}
