using System.Numerics;

namespace Aperture.Detection;

/// <summary>Separable 2-D filtering of float planes with clamped borders, vectorised along rows.</summary>
internal static class SeparableFilter
{
    /// <summary>Normalised Gaussian taps, radius ceil(4 sigma).</summary>
    public static float[] Gaussian(double sigma)
    {
        int r = Math.Max(1, (int)Math.Ceiling(4 * sigma));
        var k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) { double v = Math.Exp(-0.5 * (i / sigma) * (i / sigma)); k[i + r] = (float)v; sum += v; }
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        return k;
    }

    /// <summary>
    /// Correlates one plane <c>[H, W]</c> with <paramref name="kx"/> along rows then <paramref name="ky"/> along
    /// columns (odd lengths; tap i multiplies the pixel at offset i − r), clamping at the borders.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> src, Span<float> dst, int h, int w, float[] kx, float[] ky)
    {
        int rx = kx.Length / 2, ry = ky.Length / 2;
        var tmp = new float[h * w];
        var row = new float[w + 2 * rx + Vector<float>.Count];
        int vc = Vector<float>.Count;
        for (int y = 0; y < h; y++)
        {
            var s = src.Slice(y * w, w);
            for (int i = 0; i < rx; i++) { row[i] = s[0]; row[rx + w + i] = s[w - 1]; }
            s.CopyTo(row.AsSpan(rx));
            var d = tmp.AsSpan(y * w, w);
            int x = 0;
            for (; x + vc <= w; x += vc)
            {
                var acc = Vector<float>.Zero;
                for (int i = 0; i < kx.Length; i++) acc += new Vector<float>(row.AsSpan(x + i)) * kx[i];
                acc.CopyTo(d.Slice(x));
            }
            for (; x < w; x++)
            {
                float acc = 0;
                for (int i = 0; i < kx.Length; i++) acc += row[x + i] * kx[i];
                d[x] = acc;
            }
        }
        for (int y = 0; y < h; y++)
        {
            var d = dst.Slice(y * w, w);
            d.Clear();
            for (int i = 0; i < ky.Length; i++)
            {
                var srcRow = tmp.AsSpan(Math.Clamp(y + i - ry, 0, h - 1) * w, w);
                float k = ky[i];
                int x = 0;
                for (; x + vc <= w; x += vc)
                    (new Vector<float>(d.Slice(x)) + new Vector<float>(srcRow.Slice(x)) * k).CopyTo(d.Slice(x));
                for (; x < w; x++) d[x] += srcRow[x] * k;
            }
        }
    }
}
