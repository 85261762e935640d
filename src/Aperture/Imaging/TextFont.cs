using SkiaSharp;

namespace Aperture.Imaging;

/// <summary>
/// Finds a sans-serif typeface for labels and captions. Skia's Linux build here has no fontconfig:
/// it scans the usual font folders itself, and on a machine without fonts every typeface is empty.
/// Then <see cref="Typeface"/> is null and drawing code leaves the text out instead of failing.
/// </summary>
public static class TextFont
{
    private static readonly string[] Families =
        { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Lato", "Arial", "Helvetica", "FreeSans" };

    private static readonly string[] Files =
    {
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/Library/Fonts/Arial.ttf",
        "C:/Windows/Fonts/arial.ttf",
    };

    private static readonly Lazy<SKTypeface?> Resolved = new(Resolve);

    /// <summary>A usable sans-serif typeface, or null when the machine has no fonts (then text is not drawn).</summary>
    public static SKTypeface? Typeface => Resolved.Value;

    /// <summary>The family name of <see cref="Typeface"/>, or null without fonts.</summary>
    public static string? FamilyName => Typeface?.FamilyName;

    /// <summary>A font of the given size in pixels, or null when there is no usable typeface.</summary>
    public static SKFont? Create(float size) =>
        Typeface is { } t ? new SKFont(t, size) { Edging = SKFontEdging.Antialias, Subpixel = true } : null;

    private static SKTypeface? Resolve()
    {
        try
        {
            foreach (string family in Families)
            {
                var t = SKFontManager.Default.MatchFamily(family);
                if (Usable(t)) return t;
                t?.Dispose();
            }
            foreach (string file in Files)
            {
                if (!File.Exists(file)) continue;
                var t = SKTypeface.FromFile(file);
                if (Usable(t)) return t;
                t?.Dispose();
            }
            var d = SKTypeface.Default;
            return Usable(d) ? d : null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException)
        {
            return null;
        }
    }

    private static bool Usable(SKTypeface? t)
    {
        if (t is null || t.GlyphCount == 0) return false;
        using var font = new SKFont(t, 12);
        ushort[] glyphs = font.GetGlyphs("A0");
        return glyphs.Length == 2 && glyphs[0] != 0 && glyphs[1] != 0;
    }
}
