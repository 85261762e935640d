using Aperture.Detection;

namespace Aperture.Tests.Detection;

/// <summary>Selective search's ranking (Uijlings et al. 2013, section 3.3) on hand-made hierarchies.</summary>
public class ProposalRankingTests
{
    /// <summary>
    /// A hierarchy of <paramref name="n"/> initial regions merged left to right (a chain: merge 0 joins regions 0 and
    /// 1, merge j joins merge j − 1 and region j + 1), every box distinct and tagged by <paramref name="tag"/> (its
    /// y1), so that boxes of different hierarchies never coincide. The last merge is the top.
    /// </summary>
    private static Hierarchy Chain(int n, int tag)
    {
        var boxes = new List<int>();
        for (int r = 0; r < n; r++) boxes.AddRange(new[] { 10 * r, tag, 10 * r + 9, tag + 5 });
        for (int j = 0; j < n - 1; j++) boxes.AddRange(new[] { 0, tag, 10 * (j + 1) + 9, tag + 6 });
        var children = new List<int> { 0, 1 };
        for (int j = 1; j < n - 1; j++) children.AddRange(new[] { n + j - 1, j + 1 });
        return new Hierarchy(n, boxes.ToArray(), children.ToArray());
    }

    private static List<(float, float, float, float)> Rows(float[] b) => b.Chunk(4).Select(r => (r[0], r[1], r[2], r[3])).ToList();

    private static (float, float, float, float) Box(Hierarchy h, int region) =>
        (h.Boxes[4 * region], h.Boxes[4 * region + 1], h.Boxes[4 * region + 2] + 1, h.Boxes[4 * region + 3] + 1);

    [Fact]
    public void SameSeedSameRankingAnotherSeedAnotherOrderOfTheSameBoxes()
    {
        var hs = new[] { Chain(30, 0), Chain(30, 100) };
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
        var a = Chain(25, 0);
        var b = a with { Boxes = a.Boxes.ToArray() };
        for (int j = 10; j < 24; j++) b.Boxes[4 * (25 + j) + 3] += 1; // later merges differ
        var other = Chain(12, 50);
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
    public void LevelsCountFromTheTop()
    {
        // A chain of 5: merges 5..8, the top 8 at level 1; it joined merge 7 and region 4 (level 2), and so on down
        // to regions 0 and 1, joined by the first merge (level 4), at level 5.
        Assert.Equal(new[] { 5, 5, 4, 3, 2, 4, 3, 2, 1 }, ProposalRanking.Levels(Chain(5, 0)));
        // Two roots (a region graph in two parts): each top is level 1.
        var twoParts = new Hierarchy(4, new int[4 * 6], new[] { 0, 1, 2, 3 });
        Assert.Equal(new[] { 2, 2, 2, 2, 1, 1 }, ProposalRanking.Levels(twoParts));
    }

    [Fact]
    public void RegionsNearTheTopRankEarlierInExpectation()
    {
        // Value RND x level: the top before level 2 before the middle of the chain before its deepest regions.
        const int n = 40, seeds = 400;
        var h = Chain(n, 0);
        int top = h.Count - 1, second = h.Count - 2, middle = n + (n - 1) / 2;
        var meanRank = MeanRanks(new[] { h }, seeds);
        double deepest = (meanRank[0] + meanRank[1]) / 2;
        Assert.True(meanRank[top] < meanRank[second], $"top {meanRank[top]:F1}, second {meanRank[second]:F1}");
        Assert.True(meanRank[second] < meanRank[middle], $"second {meanRank[second]:F1}, middle {meanRank[middle]:F1}");
        Assert.True(meanRank[middle] < deepest, $"middle {meanRank[middle]:F1}, deepest {deepest:F1}");
        // The top is in the first tenth on average; a jitter, not a sort: it is not always first.
        Assert.True(meanRank[top] < h.Count / 10.0, $"top {meanRank[top]:F1} of {h.Count}");
    }

    [Fact]
    public void AnItemMadeEarlyButMergedLateRanksByItsLevel()
    {
        // Regions 0..4 are an item's parts, merged first (merges 0..3, the item is region n + 3); then the background
        // regions 5..n-1 chain up, and the last merge joins the item to the background. The item was made early
        // (in creation order it would rank behind every background merge), but it hangs just below the top (level 2),
        // so it ranks with the top background merge, far ahead of the background merges made after it.
        const int n = 40, seeds = 400;
        var boxes = new List<int>();
        for (int r = 0; r < n; r++) boxes.AddRange(new[] { 3 * r, 0, 3 * r + 2, 2 });
        var children = new List<int> { 0, 1 };
        for (int j = 1; j < 4; j++) children.AddRange(new[] { n + j - 1, j + 1 });
        boxes.AddRange(Enumerable.Range(0, 4).SelectMany(j => new[] { 0, 10 + j, 3 * (j + 1) + 2, 20 }));
        children.AddRange(new[] { 5, 6 });
        for (int r = 7; r < n; r++) children.AddRange(new[] { n + 4 + (r - 7), r });
        int backgroundMerges = n - 5 - 1;
        boxes.AddRange(Enumerable.Range(0, backgroundMerges).SelectMany(j => new[] { 15, 30 + j, 3 * (j + 6) + 2, 60 }));
        int item = n + 3, backgroundTop = n + 4 + backgroundMerges - 1;
        children.AddRange(new[] { item, backgroundTop });
        boxes.AddRange(new[] { 0, 0, 3 * n, 99 });
        var h = new Hierarchy(n, boxes.ToArray(), children.ToArray());
        Assert.Equal(2 * n - 1, h.Count);
        Assert.Equal(2, ProposalRanking.Levels(h)[item]);
        var meanRank = MeanRanks(new[] { h }, seeds);
        double laterBackground = Enumerable.Range(item + 1, backgroundMerges - 1).Average(r => meanRank[r]);
        Assert.True(meanRank[item] < 0.25 * laterBackground, $"item {meanRank[item]:F1}, background merges made after it {laterBackground:F1}");
        Assert.InRange(meanRank[item] - meanRank[backgroundTop], -2, 2);
    }

    /// <summary>Each region's mean place in the ranking over <paramref name="seeds"/> seeds (the first hierarchy's regions).</summary>
    private static double[] MeanRanks(Hierarchy[] hs, int seeds)
    {
        var meanRank = new double[hs[0].Count];
        for (long seed = 0; seed < seeds; seed++)
        {
            var rows = Rows(ProposalRanking.Rank(hs, seed, 0));
            for (int r = 0; r < meanRank.Length; r++) meanRank[r] += (double)rows.IndexOf(Box(hs[0], r)) / seeds;
        }
        return meanRank;
    }

    [Fact]
    public void StrategiesAreInterleavedNotConcatenated()
    {
        // Two strategies of the same size and disjoint boxes: each holds about half of the first places, and the
        // sequence switches between them often.
        var hs = new[] { Chain(50, 0), Chain(50, 100) };
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
        var hs = Enumerable.Range(0, strategies).Select(s => Chain(n, 10 * s)).ToArray();
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
}
