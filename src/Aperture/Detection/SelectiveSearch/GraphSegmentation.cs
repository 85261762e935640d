using static TorchSharp.torch;

namespace Aperture.Detection.SelectiveSearch;

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
/// clamps at the image border, as the authors' code does. Edges are ordered by an LSD radix sort on the bits of
/// their (non-negative) float weights, O(E); components use union-find with union by rank and path compression.
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
        var smooth = sigma > 0 ? Smooth(planar, channels, height, width, sigma) : planar;
        int n = height * width;
        BuildEdges(smooth, channels, height, width, out var keys, out var ids);
        RadixSort(ref keys, ref ids);

        var forest = new Forest(n);
        var thr = new float[n];
        float kf = (float)k;
        for (int i = 0; i < n; i++) thr[i] = kf;
        int m = ids.Length;
        // Pass 1: the paper's greedy merge over edges in increasing weight.
        for (int e = 0; e < m; e++)
        {
            var (a, b) = Ends(ids[e], width);
            int ra = forest.Find(a), rb = forest.Find(b);
            if (ra == rb) continue;
            float wgt = BitConverter.UInt32BitsToSingle(keys[e]);
            if (wgt <= thr[ra] && wgt <= thr[rb])
            {
                int r = forest.Union(ra, rb);
                thr[r] = wgt + kf / forest.Size[r];
            }
        }
        // Pass 2: merge components below the minimum size, along the same sorted edges.
        if (minSize > 1)
        {
            for (int e = 0; e < m; e++)
            {
                var (a, b) = Ends(ids[e], width);
                int ra = forest.Find(a), rb = forest.Find(b);
                if (ra != rb && (forest.Size[ra] < minSize || forest.Size[rb] < minSize)) forest.Union(ra, rb);
            }
        }
        var labels = new int[n];
        var map = new int[n];
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

    internal static void BuildEdges(float[] img, int c, int h, int w, out uint[] keys, out int[] ids)
    {
        // Count edges per row so rows can be filled in parallel at known offsets.
        var start = new int[h + 1];
        for (int y = 0; y < h; y++)
        {
            int cnt = w - 1;                       // right
            if (y + 1 < h) cnt += w + (w - 1);      // down, down-right
            if (y > 0) cnt += w - 1;                // up-right
            start[y + 1] = start[y] + cnt;
        }
        var kArr = new uint[start[h]];
        var iArr = new int[start[h]];
        int plane = h * w;
        Parallel.For(0, h, y =>
        {
            int o = start[y];
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                if (x + 1 < w) { kArr[o] = Dist(img, c, plane, p, p + 1); iArr[o++] = p * 4; }
                if (y + 1 < h)
                {
                    kArr[o] = Dist(img, c, plane, p, p + w); iArr[o++] = p * 4 + 1;
                    if (x + 1 < w) { kArr[o] = Dist(img, c, plane, p, p + w + 1); iArr[o++] = p * 4 + 2; }
                }
                if (y > 0 && x + 1 < w) { kArr[o] = Dist(img, c, plane, p, p - w + 1); iArr[o++] = p * 4 + 3; }
            }
        });
        keys = kArr; ids = iArr;
    }

    private static uint Dist(float[] img, int c, int plane, int p, int q)
    {
        float s = 0;
        for (int ch = 0, o = 0; ch < c; ch++, o += plane)
        {
            float d = img[o + p] - img[o + q];
            s += d * d;
        }
        // Non-negative floats order like their bit patterns.
        return BitConverter.SingleToUInt32Bits(MathF.Sqrt(s));
    }

    /// <summary>LSD radix sort of (key, id) pairs by key, 11 bits per pass, stable.</summary>
    internal static void RadixSort(ref uint[] keys, ref int[] ids)
    {
        int n = keys.Length;
        var k2 = new uint[n];
        var i2 = new int[n];
        var count = new int[2048];
        for (int shift = 0; shift < 32; shift += 11)
        {
            Array.Clear(count);
            uint first = keys.Length > 0 ? (keys[0] >> shift) & 2047 : 0;
            bool same = true;
            for (int i = 0; i < n; i++)
            {
                uint d = (keys[i] >> shift) & 2047;
                count[d]++;
                same &= d == first;
            }
            if (same) continue; // this digit is the same everywhere: nothing to do
            int sum = 0;
            for (int d = 0; d < 2048; d++) { int t = count[d]; count[d] = sum; sum += t; }
            for (int i = 0; i < n; i++)
            {
                int pos = count[(keys[i] >> shift) & 2047]++;
                k2[pos] = keys[i];
                i2[pos] = ids[i];
            }
            (keys, k2) = (k2, keys);
            (ids, i2) = (i2, ids);
        }
    }

    /// <summary>Separable Gaussian smoothing of each channel, radius ceil(4 sigma), border clamped.</summary>
    internal static float[] Smooth(float[] src, int c, int h, int w, double sigma)
    {
        int r = (int)Math.Ceiling(4 * sigma);
        var kernel = new float[r + 1];
        double sum = 0;
        for (int i = 0; i <= r; i++) { kernel[i] = (float)Math.Exp(-0.5 * (i / sigma) * (i / sigma)); sum += i == 0 ? kernel[i] : 2 * kernel[i]; }
        for (int i = 0; i <= r; i++) kernel[i] /= (float)sum;
        var tmp = new float[src.Length];
        var dst = new float[src.Length];
        int plane = h * w;
        // Horizontal pass, then vertical, rows in parallel.
        Parallel.For(0, c * h, row =>
        {
            int o = row * w;
            var s = src.AsSpan(o, w);
            for (int x = 0; x < w; x++)
            {
                float acc = kernel[0] * s[x];
                for (int i = 1; i <= r; i++)
                    acc += kernel[i] * (s[Math.Max(x - i, 0)] + s[Math.Min(x + i, w - 1)]);
                tmp[o + x] = acc;
            }
        });
        Parallel.For(0, c * h, row =>
        {
            int ch = row / h, y = row % h, pl = ch * plane;
            var d = dst.AsSpan(pl + y * w, w);
            var k0 = kernel[0];
            var center = tmp.AsSpan(pl + y * w, w);
            for (int x = 0; x < w; x++) d[x] = k0 * center[x];
            for (int i = 1; i <= r; i++)
            {
                var up = tmp.AsSpan(pl + Math.Max(y - i, 0) * w, w);
                var dn = tmp.AsSpan(pl + Math.Min(y + i, h - 1) * w, w);
                float ki = kernel[i];
                for (int x = 0; x < w; x++) d[x] += ki * (up[x] + dn[x]);
            }
        });
        return dst;
    }

    /// <summary>Disjoint-set forest with union by rank and path compression.</summary>
    private sealed class Forest
    {
        private readonly int[] _parent;
        private readonly byte[] _rank;
        public readonly int[] Size;

        public Forest(int n)
        {
            _parent = new int[n];
            _rank = new byte[n];
            Size = new int[n];
            for (int i = 0; i < n; i++) { _parent[i] = i; Size[i] = 1; }
        }

        public int Find(int x)
        {
            int r = x;
            while (_parent[r] != r) r = _parent[r];
            while (_parent[x] != r) { int next = _parent[x]; _parent[x] = r; x = next; }
            return r;
        }

        /// <summary>Joins two roots; returns the new root.</summary>
        public int Union(int a, int b)
        {
            if (_rank[a] < _rank[b]) (a, b) = (b, a);
            _parent[b] = a;
            if (_rank[a] == _rank[b]) _rank[a]++;
            Size[a] += Size[b];
            return a;
        }
    }
}
