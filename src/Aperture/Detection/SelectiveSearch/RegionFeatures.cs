namespace Aperture.Detection;

/// <summary>
/// Per-pixel histogram bins of one colour-space image, computed once and shared by every strategy that uses
/// the colour space: colour bins (25 per channel) and texture bins (SIFT-like Gaussian derivatives, sigma 1, in
/// 8 orientations, 10 bins each per channel), as in Uijlings et al. 2013, section 3.3.
/// </summary>
internal sealed class PixelBins
{
    public const int ColorBins = 25, Orientations = 8, TextureBins = 10;

    public PixelBins(float[] planar, int channels, int height, int width)
    {
        Channels = channels; Height = height; Width = width;
        int n = height * width;
        Color = new byte[channels * n];
        for (int i = 0; i < Color.Length; i++) Color[i] = (byte)Math.Min((int)(planar[i] * ColorBins / 256f), ColorBins - 1);
        Texture = new byte[channels * Orientations * n];
        Parallel.For(0, channels, ch => TextureChannel(planar, ch, height, width));
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    /// <summary>Colour bin of each pixel, planar [C, H·W].</summary>
    public byte[] Color { get; }
    /// <summary>Texture bin of each pixel, planar [C·8, H·W].</summary>
    public byte[] Texture { get; }
    public int ColorLength => Channels * ColorBins;
    public int TextureLength => Channels * Orientations * TextureBins;

    /// <summary>
    /// Gaussian derivatives (sigma 1) Gx, Gy of one channel; the derivative in direction θ is cos θ Gx + sin θ Gy.
    /// The 8 orientations θ = 0, 45, …, 315° keep the positive part of that response (opposite orientations split
    /// the sign), each normalised by its maximum over the image and quantised into 10 bins.
    /// </summary>
    private void TextureChannel(float[] planar, int ch, int h, int w)
    {
        int n = h * w;
        var src = planar.AsSpan(ch * n, n);
        const int r = 4; // radius ceil(4 sigma) for sigma = 1
        var g = new float[2 * r + 1]; var dg = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) { g[i + r] = (float)Math.Exp(-0.5 * i * i); sum += g[i + r]; }
        double dsum = 0;
        for (int i = -r; i <= r; i++) { g[i + r] /= (float)sum; dg[i + r] = i * g[i + r]; dsum += i * dg[i + r]; }
        for (int i = 0; i < dg.Length; i++) dg[i] /= (float)dsum; // unit response to a unit ramp
        var gx = new float[n]; var gy = new float[n];
        SeparableFilter.Apply(src, gx, h, w, dg, g);
        SeparableFilter.Apply(src, gy, h, w, g, dg);
        var resp = new float[Orientations][];
        var max = new float[Orientations];
        for (int o = 0; o < Orientations; o++)
        {
            float cs = MathF.Cos(o * MathF.PI / 4), sn = MathF.Sin(o * MathF.PI / 4);
            var a = new float[n];
            float m = 0;
            for (int p = 0; p < n; p++) { float v = MathF.Max(0, cs * gx[p] + sn * gy[p]); a[p] = v; if (v > m) m = v; }
            resp[o] = a; max[o] = m;
        }
        for (int o = 0; o < Orientations; o++)
        {
            var t = Texture.AsSpan((ch * Orientations + o) * n, n);
            float scale = max[o] > 0 ? TextureBins / max[o] : 0;
            var a = resp[o];
            for (int p = 0; p < n; p++) t[p] = (byte)Math.Min((int)(a[p] * scale), TextureBins - 1);
        }
    }
}

/// <summary>
/// The initial regions of one segmentation with their features (size, bounding box, L1-normalised colour and
/// texture histograms) and adjacency, shared by the strategies that differ only in their similarity measures.
/// </summary>
internal sealed class InitialRegions
{
    public InitialRegions(int[] labels, int count, PixelBins bins)
    {
        Count = count;
        int n = labels.Length, w = bins.Width, h = bins.Height;
        ColorLength = bins.ColorLength; TextureLength = bins.TextureLength;
        Size = new int[count];
        Box = new int[4 * count];
        for (int i = 0; i < count; i++) { Box[4 * i] = int.MaxValue; Box[4 * i + 1] = int.MaxValue; Box[4 * i + 2] = -1; Box[4 * i + 3] = -1; }
        Color = new float[count * ColorLength];
        Texture = new float[count * TextureLength];
        var edges = new HashSet<long>();
        for (int y = 0, p = 0; y < h; y++)
            for (int x = 0; x < w; x++, p++)
            {
                int l = labels[p];
                Size[l]++;
                if (x < Box[4 * l]) Box[4 * l] = x;
                if (y < Box[4 * l + 1]) Box[4 * l + 1] = y;
                if (x > Box[4 * l + 2]) Box[4 * l + 2] = x;
                if (y > Box[4 * l + 3]) Box[4 * l + 3] = y;
                if (x + 1 < w && labels[p + 1] != l) edges.Add(Pair(l, labels[p + 1]));
                if (y + 1 < h && labels[p + w] != l) edges.Add(Pair(l, labels[p + w]));
            }
        int cb = PixelBins.ColorBins, tb = PixelBins.TextureBins, ch = bins.Channels;
        for (int c = 0; c < ch; c++)
        {
            var col = bins.Color.AsSpan(c * n, n);
            for (int p = 0; p < n; p++) Color[labels[p] * ColorLength + c * cb + col[p]] += 1;
            for (int o = 0; o < PixelBins.Orientations; o++)
            {
                int plane = c * PixelBins.Orientations + o;
                var tex = bins.Texture.AsSpan(plane * n, n);
                for (int p = 0; p < n; p++) Texture[labels[p] * TextureLength + plane * tb + tex[p]] += 1;
            }
        }
        for (int i = 0; i < count; i++)
        {
            Normalise(Color.AsSpan(i * ColorLength, ColorLength));
            Normalise(Texture.AsSpan(i * TextureLength, TextureLength));
        }
        Neighbours = new List<int>[count];
        for (int i = 0; i < count; i++) Neighbours[i] = new List<int>();
        Pairs = edges.Select(e => ((int)(e >> 32), (int)(e & 0xffffffff))).OrderBy(e => e.Item1).ThenBy(e => e.Item2).ToArray();
        foreach (var (a, b) in Pairs) { Neighbours[a].Add(b); Neighbours[b].Add(a); }
        ImageSize = n;
    }

    private static long Pair(int a, int b) => a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;

    private static void Normalise(Span<float> h)
    {
        float s = 0;
        foreach (var v in h) s += v;
        if (s > 0) for (int i = 0; i < h.Length; i++) h[i] /= s;
    }

    public int Count { get; }
    public int ImageSize { get; }
    public int ColorLength { get; }
    public int TextureLength { get; }
    public int[] Size { get; }
    /// <summary>Inclusive pixel bounds (x1, y1, x2, y2) per region.</summary>
    public int[] Box { get; }
    public float[] Color { get; }
    public float[] Texture { get; }
    public List<int>[] Neighbours { get; }
    public (int A, int B)[] Pairs { get; }
}
