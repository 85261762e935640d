namespace Aperture.Detection;

/// <summary>
/// Colour spaces used by selective search to diversify its initial regions and colour similarity
/// (Uijlings et al. 2013, table 1). All are scaled to 0–255 per channel.
/// </summary>
public enum ColorSpace
{
    /// <summary>R, G, B.</summary>
    Rgb,
    /// <summary>Hue, saturation, value.</summary>
    Hsv,
    /// <summary>CIE L*a*b* (sRGB, D65).</summary>
    Lab,
    /// <summary>Normalised r = R/(R+G+B), g = G/(R+G+B), and intensity I.</summary>
    RgI,
    /// <summary>Intensity I = (R+G+B)/3 (one channel).</summary>
    I,
    /// <summary>Hue (one channel).</summary>
    H,
}

/// <summary>Converts interleaved-free planar RGB to the <see cref="ColorSpace"/> planes.</summary>
internal static class ColorConversion
{
    public static int Channels(ColorSpace space) => space is ColorSpace.I or ColorSpace.H ? 1 : 3;

    /// <summary>Planar RGB bytes <c>[3, H, W]</c> to planar floats <c>[C, H, W]</c> on a 0–255 scale.</summary>
    public static float[] Convert(byte[] rgb, int pixels, ColorSpace space)
    {
        int c = Channels(space);
        var o = new float[c * pixels];
        Parallel.For(0, 4, part =>
        {
            int lo = (int)((long)pixels * part / 4), hi = (int)((long)pixels * (part + 1) / 4);
            for (int p = lo; p < hi; p++)
            {
                float r = rgb[p], g = rgb[pixels + p], b = rgb[2 * pixels + p];
                switch (space)
                {
                    case ColorSpace.Rgb: o[p] = r; o[pixels + p] = g; o[2 * pixels + p] = b; break;
                    case ColorSpace.Hsv:
                        {
                            var (h, s, v) = Hsv(r, g, b);
                            o[p] = h; o[pixels + p] = s; o[2 * pixels + p] = v; break;
                        }
                    case ColorSpace.H: o[p] = Hsv(r, g, b).H; break;
                    case ColorSpace.I: o[p] = (r + g + b) / 3f; break;
                    case ColorSpace.RgI:
                        {
                            float sum = r + g + b;
                            o[p] = sum > 0 ? 255f * r / sum : 85f;
                            o[pixels + p] = sum > 0 ? 255f * g / sum : 85f;
                            o[2 * pixels + p] = sum / 3f; break;
                        }
                    case ColorSpace.Lab:
                        {
                            var (l, a, bb) = Lab(r, g, b);
                            o[p] = l * 2.55f; o[pixels + p] = a + 128f; o[2 * pixels + p] = bb + 128f; break;
                        }
                }
            }
        });
        return o;
    }

    private static (float H, float S, float V) Hsv(float r, float g, float b)
    {
        float max = MathF.Max(r, MathF.Max(g, b)), min = MathF.Min(r, MathF.Min(g, b)), d = max - min;
        float h = 0;
        if (d > 0)
        {
            if (max == r) h = (g - b) / d;
            else if (max == g) h = 2 + (b - r) / d;
            else h = 4 + (r - g) / d;
            h /= 6; if (h < 0) h += 1;
        }
        return (h * 255f, max > 0 ? 255f * d / max : 0, max);
    }

    private static readonly float[] Linear = Enumerable.Range(0, 256).Select(v =>
    {
        double s = v / 255.0;
        return (float)(s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4));
    }).ToArray();

    private static (float L, float A, float B) Lab(float r8, float g8, float b8)
    {
        float r = Linear[(int)r8], g = Linear[(int)g8], b = Linear[(int)b8];
        float x = (0.4124564f * r + 0.3575761f * g + 0.1804375f * b) / 0.95047f;
        float y = 0.2126729f * r + 0.7151522f * g + 0.0721750f * b;
        float z = (0.0193339f * r + 0.1191920f * g + 0.9503041f * b) / 1.08883f;
        static float F(float t) => t > 0.008856f ? MathF.Cbrt(t) : 7.787f * t + 16f / 116f;
        float fx = F(x), fy = F(y), fz = F(z);
        return (116f * fy - 16f, 500f * (fx - fy), 200f * (fy - fz));
    }
}
