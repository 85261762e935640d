using System.Numerics;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Efficient graph-based image segmentation (Felzenszwalb &amp; Huttenlocher, IJCV 2004). Each channel is smoothed
/// with a Gaussian of width <c>sigma</c>; the pixels form an 8-connected grid graph whose edge weights are the
/// Euclidean distances between the smoothed colours; the edges are visited in increasing weight and two components
/// C1, C2 are merged when the edge weight w ≤ min(Int(C1) + k/|C1|, Int(C2) + k/|C2|), where Int(C) is the largest
/// edge weight inside C (the paper's MInt). Finally components smaller than <c>minSize</c> are merged into a
/// neighbour along the sorted edges, as in the authors' code.
/// </summary>
/// <remarks>
/// Pixel values are taken on the 0–255 scale, so k has the paper's meaning (the authors use k = 300 for
/// 320x240 images; scikit-image's <c>scale</c> is the same k). The smoothing kernel has radius ceil(4 sigma) and
/// clamps at the image border, as the authors' code does. Edges are ordered by an LSD radix sort, O(E), on their
/// weights quantised to 1/8192 of a grey level (edges closer than that keep raster order); the merge test uses that
/// weight (within 1/16384 of a grey level of the exact one). Components use union-find with union by rank and path compression.
/// </remarks>
public static class GraphSegmentation
{
    /// <summary>
    /// Segments an image tensor <c>[C, H, W]</c> (uint8 0–255, or float on the 0–255 scale) into a label image
    /// int32 <c>[H, W]</c> with labels 0..n−1 numbered in raster order of first appearance.
    /// </summary>
    /// <param name="image">Image <c>[C, H, W]</c>, any number of channels (3 for RGB).</param>
    /// <param name="k">Scale of observation k: larger k gives larger components.</param>
    /// <param name="sigma">Gaussian smoothing before segmentation (0.8 in the paper); 0 turns it off.</param>
    /// <param name="minSize">Components smaller than this many pixels are merged into a neighbour.</param>
    public static Tensor Segment(Tensor image, double k = 100, double sigma = 0.8, int minSize = 20)
    {
        if (image.dim() != 3) throw new ArgumentException($"expected an image [C, H, W], got [{string.Join(", ", image.shape)}]");
        int c = (int)image.shape[0], h = (int)image.shape[1], w = (int)image.shape[2];
        if (h == 0 || w == 0 || c == 0) throw new ArgumentException($"image [{c}, {h}, {w}] is empty");
        float[] planar;
        using (var f = image.to_type(ScalarType.Float32).cpu().contiguous()) planar = f.data<float>().ToArray();
        var labels = Segment(planar, c, h, w, k, sigma, minSize, out _);
        return tensor(labels, new long[] { h, w }, ScalarType.Int32);
    }

    /// <summary>
    /// Segments a planar image (channel-major, <c>[C, H, W]</c> flattened, values on the 0–255 scale) and returns
    /// the label of each pixel (length H·W, labels 0..count−1 in raster order of first appearance).
    /// </summary>
    /// <param name="planar">Pixel values, length C·H·W.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="k">Scale of observation k.</param>
    /// <param name="sigma">Gaussian smoothing (0: none).</param>
    /// <param name="minSize">Smallest component size kept.</param>
    /// <param name="count">Number of components.</param>
    public static int[] Segment(float[] planar, int channels, int height, int width, double k, double sigma, int minSize, out int count)
    {
        if (planar.Length != (long)channels * height * width)
            throw new ArgumentException($"planar image has {planar.Length} values, expected {channels}x{height}x{width}");
        if (!(k >= 0) || !(sigma >= 0) || minSize < 0)
            throw new ArgumentException($"k ({k}), sigma ({sigma}) and minSize ({minSize}) must be non-negative");
        return Segment(SortedEdges(planar, channels, height, width, sigma), height, width, k, minSize, out count);
    }

    /// <summary>
    /// The part of the algorithm that does not depend on k: smoothing, the grid graph and its sorted edges
    /// (packed: quantised weight in the high 32 bits, pixel·4 + direction in the low 32). Selective search reuses
    /// it for every k of a colour space.
    /// </summary>
    internal static ulong[] SortedEdges(float[] planar, int channels, int height, int width, double sigma)
    {
        var smooth = sigma > 0 ? Smooth(planar, channels, height, width, sigma) : planar;
        var edges = BuildEdges(smooth, channels, height, width);
        RadixSort(ref edges);
        return edges;
    }

    /// <summary>The greedy merge and the minimum-size pass over sorted edges; returns labels in raster order.</summary>
    internal static int[] Segment(ulong[] edges, int height, int width, double k, int minSize, out int count)
    {
        int n = height * width;
        float kf = (float)k;
        var forest = new Forest(n, kf);
        var nodes = forest.Nodes;
        int m = edges.Length;
        // Indices of the edges pass 1 rejects (4 bytes each rather than the 8 of the packed edge).
        var rejected = new List<int>(Math.Min(m, Math.Max(16, n / 4)));
        // Pass 1: the paper's greedy merge over edges in increasing weight.
        for (int e = 0; e < m; e++)
        {
            ulong edge = edges[e];
            var (a, b) = Ends((int)(uint)edge, width);
            int ra = forest.Find(a), rb = forest.Find(b);
            if (ra == rb) continue;
            float wgt = (edge >> 32) * (1f / KeyScale);
            if (wgt <= nodes[ra].Threshold && wgt <= nodes[rb].Threshold)
            {
                int r = forest.Union(ra, rb);
                nodes[r].Threshold = wgt + kf / forest.Size[r];
            }
            else rejected.Add(e);
        }
        // Pass 2: merge components below the minimum size, along the same sorted edges. Edges inside a pass-1
        // component stay inside, so only the edges pass 1 rejected (still in sorted order) are visited.
        if (minSize > 1)
        {
            foreach (int e in rejected)
            {
                var (a, b) = Ends((int)(uint)edges[e], width);
                int ra = forest.Find(a), rb = forest.Find(b);
                if (ra != rb && (forest.Size[ra] < minSize || forest.Size[rb] < minSize)) forest.Union(ra, rb);
            }
        }
        rejected = null!;
        var labels = new int[n];
        // Component sizes are no longer needed: their array becomes the root -> label map.
        var map = forest.Size;
        Array.Fill(map, -1);
        int next = 0;
        for (int i = 0; i < n; i++)
        {
            int r = forest.Find(i);
            if (map[r] < 0) map[r] = next++;
            labels[i] = map[r];
        }
        count = next;
        return labels;
    }

    // Edge id = pixel * 4 + direction: 0 right, 1 down, 2 down-right, 3 up-right.
    private static (int A, int B) Ends(int id, int width)
    {
        int p = id >> 2;
        return (id & 3) switch
        {
            0 => (p, p + 1),
            1 => (p, p + width),
            2 => (p, p + width + 1),
            _ => (p, p - width + 1),
        };
    }

    /// <summary>Quantisation of edge weights for sorting: 1/8192 of a grey level, so keys fit in 22 bits.</summary>
    private const float KeyScale = 8192f;

    /// <summary>Weights above this (far beyond 0–255 colours: √C·255) share the top key, keeping keys in 32 bits.</summary>
    private const float MaxWeight = 500_000f;

    /// <summary>
    /// Builds the 8-connected grid graph: for each direction (right, down, down-right, up-right) the Euclidean
    /// colour distances are computed a row at a time with SIMD, and stored as sort keys (weight quantised to
    /// 1/8192 of a grey level) with edge ids (pixel·4 + direction).
    /// </summary>
    internal static ulong[] BuildEdges(float[] img, int c, int h, int w)
    {
        // Edges per direction: right (h, w-1), down (h-1, w), down-right (h-1, w-1), up-right (h-1, w-1), rows y0..y1.
        var dirs = new (int Dy, int Dx, int Y0, int Y1, int Len)[]
        {
            (0, 1, 0, h, w - 1), (1, 0, 0, h - 1, w), (1, 1, 0, h - 1, w - 1), (-1, 1, 1, h, w - 1),
        };
        var start = new int[dirs.Length + 1];
        for (int d = 0; d < dirs.Length; d++) start[d + 1] = start[d] + Math.Max(0, dirs[d].Y1 - dirs[d].Y0) * Math.Max(0, dirs[d].Len);
        var edges = new ulong[start[^1]];
        int plane = h * w, vc = Vector<float>.Count;
        var jobs = new List<(int D, int Y)>();
        for (int d = 0; d < dirs.Length; d++) for (int y = dirs[d].Y0; y < dirs[d].Y1; y++) jobs.Add((d, y));
        Parallel.For(0, 4, part =>
        {
            var acc = new float[w];
            var kk = new uint[w];
            for (int j = part; j < jobs.Count; j += 4)
            {
                var (d, y) = jobs[j];
                var (dy, dx, y0, _, len) = dirs[d];
                if (len <= 0) continue;
                int o = start[d] + (y - y0) * len;
                int pa = y * w, pb = (y + dy) * w + dx;
                var a = acc.AsSpan(0, len);
                a.Clear();
                for (int ch = 0; ch < c; ch++)
                {
                    var sa = img.AsSpan(ch * plane + pa, len);
                    var sb = img.AsSpan(ch * plane + pb, len);
                    int x = 0;
                    for (; x + vc <= len; x += vc)
                    {
                        var diff = new Vector<float>(sa.Slice(x)) - new Vector<float>(sb.Slice(x));
                        (new Vector<float>(a.Slice(x)) + diff * diff).CopyTo(a.Slice(x));
                    }
                    for (; x < len; x++) { float df = sa[x] - sb[x]; a[x] += df * df; }
                }
                int x2 = 0;
                var scale = new Vector<float>(KeyScale);
                var half = new Vector<float>(0.5f);
                var top = new Vector<float>(MaxWeight);
                for (; x2 + vc <= len; x2 += vc)
                {
                    var q = Vector.ConvertToUInt32(Vector.Min(Vector.SquareRoot(new Vector<float>(a.Slice(x2))), top) * scale + half);
                    q.CopyTo(kk.AsSpan(x2));
                }
                for (; x2 < len; x2++) kk[x2] = (uint)(MathF.Min(MathF.Sqrt(a[x2]), MaxWeight) * KeyScale + 0.5f);
                var outRow = edges.AsSpan(o, len);
                for (int x = 0; x < len; x++) outRow[x] = ((ulong)kk[x] << 32) | (uint)((pa + x) * 4 + d);
            }
        });
        return edges;
    }

    /// <summary>
    /// LSD radix sort of packed edges (key in the high 32 bits, id in the low 32) by key, 11 bits per pass,
    /// stable; the digit counts of all passes come from one read, and passes over constant digits are skipped.
    /// </summary>
    internal static void RadixSort(ref ulong[] a)
    {
        int n = a.Length;
        if (n == 0) return;
        const int Bits = 11, Radix = 1 << Bits, Passes = 3;
        var count = new int[Passes * Radix];
        foreach (ulong v in a)
        {
            uint key = (uint)(v >> 32);
            count[key & (Radix - 1)]++;
            count[Radix + ((key >> Bits) & (Radix - 1))]++;
            count[2 * Radix + (key >> (2 * Bits))]++;
        }
        var tmp = new ulong[n];
        for (int pass = 0; pass < Passes; pass++)
        {
            var c = count.AsSpan(pass * Radix, Radix);
            int shift = 32 + pass * Bits;
            if (c[(int)((a[0] >> shift) & (Radix - 1))] == n) continue; // constant digit
            int sum = 0;
            for (int d = 0; d < Radix; d++) { int t = c[d]; c[d] = sum; sum += t; }
            for (int i = 0; i < n; i++)
            {
                ulong v = a[i];
                tmp[c[(int)((v >> shift) & (Radix - 1))]++] = v;
            }
            (a, tmp) = (tmp, a);
        }
    }

    /// <summary>Separable Gaussian smoothing of each channel, radius ceil(4 sigma), border clamped.</summary>
    internal static float[] Smooth(float[] src, int c, int h, int w, double sigma)
    {
        var kernel = SeparableFilter.Gaussian(sigma);
        var dst = new float[src.Length];
        int plane = h * w;
        Parallel.For(0, c, ch => SeparableFilter.Apply(src.AsSpan(ch * plane, plane), dst.AsSpan(ch * plane, plane), h, w, kernel, kernel));
        return dst;
    }

    /// <summary>
    /// Disjoint-set forest with union by rank and path compression. A node's parent and merge threshold
    /// Int(C) + k/|C| sit together (8 bytes), so the merge test touches one cache line per root; sizes and ranks,
    /// needed only when merging, are kept apart.
    /// </summary>
    private sealed class Forest
    {
        public struct Node
        {
            public int Parent;
            public float Threshold;
        }

        public readonly Node[] Nodes;
        public readonly int[] Size;
        private readonly byte[] _rank;

        public Forest(int n, float k)
        {
            Nodes = new Node[n];
            Size = new int[n];
            _rank = new byte[n];
            for (int i = 0; i < n; i++) { Nodes[i] = new Node { Parent = i, Threshold = k }; Size[i] = 1; }
        }

        public int Find(int x)
        {
            var nodes = Nodes;
            int r = x;
            while (nodes[r].Parent != r) r = nodes[r].Parent;
            while (nodes[x].Parent != r) { int next = nodes[x].Parent; nodes[x].Parent = r; x = next; }
            return r;
        }

        /// <summary>Joins two roots; returns the new root.</summary>
        public int Union(int a, int b)
        {
            if (_rank[a] < _rank[b]) (a, b) = (b, a);
            Nodes[b].Parent = a;
            if (_rank[a] == _rank[b]) _rank[a]++;
            Size[a] += Size[b];
            return a;
        }
    }
}
