using Aperture.Detection;

namespace Aperture.Tests.Detection;

/// <summary>Selective search's ranking (Uijlings et al. 2013, section 3.3) on hand-made hierarchies.</summary>
public class ProposalRankingTests
{
    /// <summary>
    /// A hierarchy of <paramref name="n"/> initial regions merged left to right (a chain), every box distinct and
    /// tagged by <paramref name="tag"/> (its y1), so that boxes of different hierarchies never coincide. Region r &lt; n
    /// is initial; region n + j is merge j; the last is the top.
    /// </summary>
    private static Hierarchy Chain(int n, int tag, int segmentation)
    {
        var boxes = new List<int>();
        for (int r = 0; r < n; r++) boxes.AddRange(new[] { 10 * r, tag, 10 * r + 9, tag + 5 });
        for (int j = 0; j < n - 1; j++) boxes.AddRange(new[] { 0, tag, 10 * (j + 1) + 9, tag + 6 });
        return new Hierarchy(segmentation, n, boxes.ToArray());
    }

    private static List<(float, float, float, float)> Rows(float[] b) => b.Chunk(4).Select(r => (r[0], r[1], r[2], r[3])).ToList();

    private static (float, float, float, float) Box(Hierarchy h, int region) =>
        (h.Boxes[4 * region], h.Boxes[4 * region + 1], h.Boxes[4 * region + 2] + 1, h.Boxes[4 * region + 3] + 1);

    [Fact]
    public void SameSeedSameRankingAnotherSeedAnotherOrderOfTheSameBoxes()
    {
        var hs = new[] { Chain(30, 0, 0), Chain(30, 100, 1) };
        var a = ProposalRanking.Rank(hs, 5, 0);
        Assert.Equal(a, ProposalRanking.Rank(hs, 5, 0));
        var c = ProposalRanking.Rank(hs, 6, 0);
        Assert.NotEqual(a, c);
        Assert.Equal(Rows(a).OrderBy(r => r), Rows(c).OrderBy(r => r));
        // The first N are the ranking's prefix.
        Assert.Equal(a.Take(4 * 17), ProposalRanking.Rank(hs, 5, 17));
    }

    [Fact]
    public void EveryBoxAppearsExactlyOnce()
    {
        // Two strategies on the same segmentation: the same initial regions, and merges that coincide in part.
        var a = Chain(25, 0, 0);
        var b = a with { Boxes = a.Boxes.ToArray() };
        for (int j = 10; j < 24; j++) b.Boxes[4 * (25 + j) + 3] += 1; // later merges differ
        var other = Chain(12, 50, 1);
        var hs = new[] { a, b, other };
        var expected = hs.SelectMany(h => Enumerable.Range(0, h.Count).Select(r => Box(h, r))).Distinct().OrderBy(r => r).ToList();
        foreach (long seed in new long[] { 0, 1, 2, 3 })
        {
            var rows = Rows(ProposalRanking.Rank(hs, seed, 0));
            Assert.Equal(rows.Count, rows.Distinct().Count());
            Assert.Equal(expected, rows.OrderBy(r => r).ToList());
        }
    }

    [Fact]
    public void RegionsNearTheTopRankEarlierInExpectation()
    {
        // Value RND x i: position i = 1 (the top) before i = 2 before the middle before the initial regions (i = m + 1).
        const int n = 40, seeds = 400;
        var h = Chain(n, 0, 0);
        int top = h.Count - 1, second = h.Count - 2, middle = n + (n - 1) / 2;
        var meanRank = new double[h.Count];
        for (long seed = 0; seed < seeds; seed++)
        {
            var rows = Rows(ProposalRanking.Rank(new[] { h }, seed, 0));
            for (int r = 0; r < h.Count; r++) meanRank[r] += (double)rows.IndexOf(Box(h, r)) / seeds;
        }
        double initial = Enumerable.Range(0, n).Average(r => meanRank[r]);
        Assert.True(meanRank[top] < meanRank[second], $"top {meanRank[top]:F1}, second {meanRank[second]:F1}");
        Assert.True(meanRank[second] < meanRank[middle], $"second {meanRank[second]:F1}, middle {meanRank[middle]:F1}");
        Assert.True(meanRank[middle] < initial, $"middle {meanRank[middle]:F1}, initial {initial:F1}");
        // The top is in the first tenth on average; a jitter, not a sort: it is not always first.
        Assert.True(meanRank[top] < h.Count / 10.0, $"top {meanRank[top]:F1} of {h.Count}");
        // Initial regions share one position, so their mean ranks do not depend on their label order.
        double firstHalf = Enumerable.Range(0, n / 2).Average(r => meanRank[r]), secondHalf = Enumerable.Range(n / 2, n / 2).Average(r => meanRank[r]);
        Assert.True(Math.Abs(firstHalf - secondHalf) < 3, $"initial regions by label order: {firstHalf:F1} vs {secondHalf:F1}");
    }

    [Fact]
    public void StrategiesAreInterleavedNotConcatenated()
    {
        // Two strategies of the same size and disjoint boxes: each holds about half of the first places, and the
        // sequence switches between them often.
        var hs = new[] { Chain(50, 0, 0), Chain(50, 100, 1) };
        int fromSecond = 0, switches = 0, seeds = 20, top = 40;
        for (long seed = 0; seed < seeds; seed++)
        {
            var owner = Rows(ProposalRanking.Rank(hs, seed, top)).Select(r => r.Item2 >= 100 ? 1 : 0).ToList();
            fromSecond += owner.Sum();
            switches += owner.Zip(owner.Skip(1)).Count(p => p.First != p.Second);
        }
        double share = (double)fromSecond / (seeds * top);
        Assert.InRange(share, 0.35, 0.65);
        Assert.True(switches > seeds * top / 4, $"{switches} switches in {seeds} rankings of {top}");
    }

    [Fact]
    public void DuplicatesKeepTheirBestPlace()
    {
        // A box every one of 6 strategies proposes at the same position ranks earlier on average than a box only
        // one of them proposes there: duplicates are removed after ranking, so the best copy counts.
        const int n = 20, strategies = 6, seeds = 200;
        var hs = Enumerable.Range(0, strategies).Select(s => Chain(n, 10 * s, s)).ToArray();
        int position = n + n / 2; // a middle merge
        var shared = (0, 500, 4, 504);
        foreach (var h in hs) { h.Boxes[4 * position] = shared.Item1; h.Boxes[4 * position + 1] = shared.Item2; h.Boxes[4 * position + 2] = shared.Item3; h.Boxes[4 * position + 3] = shared.Item4; }
        double sharedRank = 0, singleRank = 0;
        for (long seed = 0; seed < seeds; seed++)
        {
            var rows = Rows(ProposalRanking.Rank(hs, seed, 0));
            sharedRank += rows.IndexOf((0f, 500f, 5f, 505f));
            singleRank += rows.IndexOf(Box(hs[0], position + 1));
        }
        Assert.True(sharedRank < 0.5 * singleRank, $"shared {sharedRank / seeds:F1}, single {singleRank / seeds:F1}");
    }

    [Fact]
    public void InitialRegionsAreListedOncePerSegmentation()
    {
        // Eight similarity sets grouped on one segmentation list its initial regions once, as the authors' code does:
        // they then rank as if there were one strategy, not eight chances each.
        const int n = 30, seeds = 100;
        var one = Chain(n, 0, 0);
        var same = Enumerable.Range(0, 8).Select(s => Chain(n, 0, 0) with { Boxes = Shifted(one.Boxes, n, 1000 * (s + 1)) }).ToArray();
        var separate = same.Select((h, s) => h with { Segmentation = s }).ToArray();
        double Initial(Hierarchy[] hs)
        {
            double sum = 0;
            for (long seed = 0; seed < seeds; seed++)
            {
                var rows = Rows(ProposalRanking.Rank(hs, seed, 0));
                sum += Enumerable.Range(0, n).Average(r => (double)rows.IndexOf(Box(hs[0], r)) / rows.Count);
            }
            return sum / seeds;
        }
        Assert.True(Initial(same) > Initial(separate) + 0.1, $"shared segmentation {Initial(same):F3}, separate {Initial(separate):F3}");
    }

    /// <summary>The boxes with every merge moved down by <paramref name="dy"/>, initial regions kept.</summary>
    private static int[] Shifted(int[] boxes, int n, int dy)
    {
        var b = boxes.ToArray();
        for (int r = n; r < b.Length / 4; r++) { b[4 * r + 1] += dy; b[4 * r + 3] += dy; }
        return b;
    }
}
