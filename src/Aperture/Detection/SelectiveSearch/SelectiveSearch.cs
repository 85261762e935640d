using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Similarity measures combined (summed) by a selective-search strategy (Uijlings et al. 2013, section 3.2).</summary>
[Flags]
public enum Similarity
{
    /// <summary>Colour: histogram intersection of 25-bin-per-channel colour histograms.</summary>
    Color = 1,
    /// <summary>Texture: histogram intersection of Gaussian-derivative histograms (8 orientations x 10 bins per channel).</summary>
    Texture = 2,
    /// <summary>Size: 1 − (size(a) + size(b)) / size(image), merging small regions early.</summary>
    Size = 4,
    /// <summary>Fill: 1 − (size(BB(a ∪ b)) − size(a) − size(b)) / size(image), merging regions that fit each other.</summary>
    Fill = 8,
}

/// <summary>The paper's configurations (section 5.2, table 5).</summary>
public enum SelectiveSearchMode
{
    /// <summary>One strategy: HSV, k = 100, colour + texture + size + fill.</summary>
    Single,
    /// <summary>8 strategies: HSV and Lab; k = 50 and 100; C+T+S+F and T+S+F.</summary>
    Fast,
    /// <summary>80 strategies: HSV, Lab, rgI, H and I; k = 50, 100, 150 and 300; C+T+S+F, T+S+F, F and S.</summary>
    Quality,
}

/// <summary>One diversification strategy: a colour space, the segmentation's k, and the similarity measures.</summary>
/// <param name="Space">Colour space for the initial segmentation and the colour histograms.</param>
/// <param name="K">Felzenszwalb–Huttenlocher k (minimum component size is k too, as in the authors' code).</param>
/// <param name="Measures">Similarity measures summed during grouping.</param>
public sealed record SelectiveSearchStrategy(ColorSpace Space, int K, Similarity Measures);

/// <summary>
/// Selective search for object recognition (Uijlings, van de Sande, Gevers &amp; Smeulders, IJCV 2013): initial
/// regions from graph-based segmentation are grouped bottom-up by similarity; every region of every hierarchy is
/// a proposal. Several strategies (colour spaces, k, similarity sets) run in parallel; their regions are ranked as in
/// the paper's section 3.3 (position in the hierarchy counted from the top, times a uniform random number; pooled,
/// sorted, then de-duplicated: see <see cref="ProposalRanking"/>). (The files sit in Detection/SelectiveSearch/; the types live in <c>Aperture.Detection</c> so
/// that this class name does not clash with a namespace.)
/// </summary>
/// <remarks>
/// Memory is bounded by design, not by the number of strategies. On an image of a megapixel or more, colour spaces are
/// processed one after the other; only one space's per-pixel buffers exist at a time, and they are freed before its
/// groupings run. (Below a megapixel up to T spaces run at once, at most T times the figure below, under 130 MB each.) For n = H·W
/// pixels and a 3-channel space, the per-pixel bytes are at most about
/// <c>max(88 n, 60 n + T · 25 n)</c> (the sorted edge graph 32 n, doubled while it is radix-sorted; the colour planes
/// and their smoothed copy 12 n each; histogram bins 27 n; per segmentation worker the union–find forest, the
/// rejected edges and the label image, about 25 n), plus the caller's RGB copy (3 n), where T is the number of
/// threads (at most <c>threads</c>, default the number of cores). Everything else is per region (features and
/// hierarchies, at most T groupings at once), not per pixel. A 12-megapixel image with T = 2 therefore needs about
/// 1.3 GB of live per-pixel data whatever the mode (measured: 2.2 GB peak resident for the whole <c>propose</c>
/// process, 0.3 GB of it the runtime and TorchSharp); dead buffers of a big image are handed back after each phase.
/// <see cref="EstimatedBytes"/> states the bound with a margin, and a search that would exceed the memory available
/// is refused before it starts. Callers bound n itself with a downscaled copy (see <see cref="Aperture.Imaging.ImageScaling"/>).
/// </remarks>
public static class SelectiveSearch
{
    /// <summary>Gaussian smoothing sigma for the initial segmentation (the paper's 0.8).</summary>
    public const double SegmentationSigma = 0.8;

    /// <summary>Images of at least this many pixels release each colour space's per-pixel buffers with a full collection.</summary>
    private const long CollectAbovePixels = 1L << 20;

    /// <summary>The strategies of a mode.</summary>
    public static IReadOnlyList<SelectiveSearchStrategy> Strategies(SelectiveSearchMode mode)
    {
        const Similarity ctsf = Similarity.Color | Similarity.Texture | Similarity.Size | Similarity.Fill;
        const Similarity tsf = Similarity.Texture | Similarity.Size | Similarity.Fill;
        (ColorSpace[] spaces, int[] ks, Similarity[] sims) = mode switch
        {
            SelectiveSearchMode.Single => (new[] { ColorSpace.Hsv }, new[] { 100 }, new[] { ctsf }),
            SelectiveSearchMode.Fast => (new[] { ColorSpace.Hsv, ColorSpace.Lab }, new[] { 50, 100 }, new[] { ctsf, tsf }),
            SelectiveSearchMode.Quality => (new[] { ColorSpace.Hsv, ColorSpace.Lab, ColorSpace.RgI, ColorSpace.H, ColorSpace.I },
                new[] { 50, 100, 150, 300 }, new[] { ctsf, tsf, Similarity.Fill, Similarity.Size }),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown selective search mode"),
        };
        return (from s in spaces from k in ks from m in sims select new SelectiveSearchStrategy(s, k, m)).ToArray();
    }

    /// <summary>
    /// Object proposals for an RGB image <c>[3, H, W]</c> (uint8) in a paper mode. Returns float32 boxes <c>[K, 4]</c>
    /// (x1, y1, x2, y2; x2 = last column + 1) in rank order, at most <paramref name="maxBoxes"/>.
    /// </summary>
    /// <param name="image">RGB image <c>[3, H, W]</c>, uint8.</param>
    /// <param name="mode">Single, fast or quality.</param>
    /// <param name="maxBoxes">Keep at most this many boxes (≤ 0: all).</param>
    /// <param name="seed">Seed of the random ranking; the same seed gives the same boxes.</param>
    /// <param name="threads">Segmentations and groupings run in parallel on at most this many threads (0: as many as cores); the memory bound grows with it.</param>
    public static Tensor Propose(Tensor image, SelectiveSearchMode mode = SelectiveSearchMode.Fast, int maxBoxes = 2000, long seed = 0, int threads = 0)
        => Propose(image, Strategies(mode), maxBoxes, seed, threads);

    /// <summary>Object proposals from explicit strategies; see <see cref="Propose(Tensor, SelectiveSearchMode, int, long, int)"/>.</summary>
    public static Tensor Propose(Tensor image, IReadOnlyList<SelectiveSearchStrategy> strategies, int maxBoxes = 2000, long seed = 0, int threads = 0)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"selective search expects an RGB image [3, H, W], got [{string.Join(", ", image.shape)}]");
        if (image.dtype != ScalarType.Byte)
            throw new ArgumentException($"selective search expects a uint8 image (0-255), got {image.dtype}");
        int h = (int)image.shape[1], w = (int)image.shape[2];
        if (h == 0 || w == 0) throw new ArgumentException($"image [3, {h}, {w}] is empty");
        byte[] rgb;
        using (var c = image.cpu().contiguous()) rgb = c.data<byte>().ToArray();
        var boxes = Propose(rgb, h, w, strategies, maxBoxes, seed, threads);
        if (boxes.Length == 0) return zeros(0, 4);
        return tensor(boxes, new long[] { boxes.Length / 4, 4 });
    }

    /// <summary>
    /// Array form: planar RGB bytes (<c>[3, H, W]</c> flattened); returns ranked boxes, 4 floats each.
    /// </summary>
    public static float[] Propose(byte[] rgb, int height, int width, IReadOnlyList<SelectiveSearchStrategy> strategies,
        int maxBoxes = 2000, long seed = 0, int threads = 0)
        => ProposalRanking.Rank(Hierarchies(rgb, height, width, strategies, threads), seed, maxBoxes);

    /// <summary>
    /// Steps 1–3 for every strategy: initial segmentation, region features, hierarchical grouping. Returns one
    /// hierarchy per strategy, in strategy order (the same whatever the thread count).
    /// </summary>
    internal static Hierarchy[] Hierarchies(byte[] rgb, int height, int width, IReadOnlyList<SelectiveSearchStrategy> strategies, int threads = 0)
    {
        if (rgb.Length != 3L * height * width) throw new ArgumentException($"expected {3L * height * width} RGB bytes for {height}x{width}, got {rgb.Length}");
        if (strategies.Count == 0) throw new ArgumentException("selective search needs at least one strategy");
        foreach (var s in strategies)
            if (s.K <= 0 || s.Measures == 0) throw new ArgumentException($"strategy {s}: k must be positive and at least one similarity chosen");
        int workers = threads > 0 ? threads : Environment.ProcessorCount;
        long need = EstimatedBytes(height, width, workers), available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && need > available)
            throw new InvalidOperationException($"selective search on {width}x{height} pixels with {workers} threads needs about {need / 1e9:F1} GB, "
                + $"more than the {available / 1e9:F1} GB available: search a downscaled copy (--max-side) or use fewer threads");
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        var hierarchies = new Hierarchy[strategies.Count];

        // One colour space at a time on a big image, so that only one space's per-pixel buffers exist at any moment;
        // a small one (under CollectAbovePixels) runs up to `workers` spaces at once, which keeps every core busy
        // through the serial parts (the radix sort, one-channel spaces) for at most workers x 128 MB.
        bool big = (long)height * width >= CollectAbovePixels;
        var spaceOptions = new ParallelOptions { MaxDegreeOfParallelism = big ? 1 : workers };
        Parallel.ForEach(strategies.Select(s => s.Space).Distinct().ToArray(), spaceOptions, space =>
        {
            var ks = strategies.Where(s => s.Space == space).Select(s => s.K).Distinct().ToArray();
            var initial = InitialRegionsOf(rgb, height, width, space, ks, options);
            // The space's per-pixel buffers are garbage now; on a big image hand them back before the next space
            // allocates its own, rather than when the GC's large-object budget runs out (which lets RSS double).
            Release(height, width);
            // 3. Hierarchical grouping of this space's strategies, at most `workers` at once.
            var mine = Enumerable.Range(0, strategies.Count).Where(si => strategies[si].Space == space).ToArray();
            Parallel.For(0, mine.Length, options, j =>
            {
                int si = mine[j];
                var s = strategies[si];
                hierarchies[si] = HierarchicalGrouping.Run(initial[Array.IndexOf(ks, s.K)], s.Measures);
            });
        });
        return hierarchies;
    }

    /// <summary>
    /// Memory selective search needs for an image of <paramref name="height"/> x <paramref name="width"/> on
    /// <paramref name="threads"/> threads: the per-pixel bound of the class remarks, with a 1.5 margin for the
    /// garbage collector's slack (measured: 12 MP, 2 threads, about 1.9 GB above the process's own). Propose refuses
    /// up front when this exceeds the memory available to the process.
    /// </summary>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="threads">Threads (at least 1).</param>
    public static long EstimatedBytes(int height, int width, int threads)
    {
        long n = (long)height * width;
        long perPixel = Math.Max(88, 60 + 25L * Math.Max(1, threads)) + 3;
        return n * perPixel * 3 / 2;
    }

    /// <summary>
    /// Steps 1 and 2 for one colour space: the k-independent part of the segmentation (smoothing, the graph and its
    /// sorted edges), the per-pixel histogram bins (the colour planes are dropped once both exist), then one
    /// segmentation and its region features per k, at most <paramref name="options"/>' parallelism at once. Every
    /// per-pixel buffer dies when this returns; the regions returned hold no per-pixel data.
    /// </summary>
    private static InitialRegions[] InitialRegionsOf(byte[] rgb, int height, int width, ColorSpace space, int[] ks, ParallelOptions options)
    {
        int channels = ColorConversion.Channels(space);
        ulong[] edges;
        PixelBins bins;
        {
            var planar = ColorConversion.Convert(rgb, height * width, space);
            edges = GraphSegmentation.SortedEdges(planar, channels, height, width, SegmentationSigma);
            Release(height, width); // the smoothed planes and the radix sort's scratch copy
            bins = new PixelBins(planar, channels, height, width);
        }
        Release(height, width); // the colour planes and the texture filters' scratch planes
        var initial = new InitialRegions[ks.Length];
        Parallel.For(0, ks.Length, options, i =>
        {
            var labels = GraphSegmentation.Segment(edges, height, width, ks[i], ks[i], out int count);
            initial[i] = new InitialRegions(labels, count, bins);
        });
        return initial;
    }

    /// <summary>
    /// On a big image, hands dead per-pixel buffers back at once with a full collection, rather than when the GC's
    /// large-object budget runs out (which lets the resident size grow to several times the live data).
    /// </summary>
    private static void Release(int height, int width)
    {
        if ((long)height * width >= CollectAbovePixels) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
    }
}
