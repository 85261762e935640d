namespace Aperture.Imaging;

/// <summary>Conversions between colour spaces for single colours.</summary>
public static class ColorSpaces
{
    /// <summary>HSV to RGB (the hexcone model). Hue in [0, 1) turns (wrapping), saturation and value in [0, 1]; RGB in [0, 1].</summary>
    public static (double R, double G, double B) HsvToRgb(double h, double s, double v)
    {
        double h6 = (h - Math.Floor(h)) * 6;
        int sector = (int)Math.Floor(h6) % 6;
        double f = h6 - Math.Floor(h6);
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return sector switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }
}
