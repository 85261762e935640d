using System.Globalization;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>
/// A confusion matrix as a picture: rows are the true classes, columns the predicted ones, each cell
/// shaded by the fraction of its row (white to dark blue) and showing its count; class names on both axes.
/// Drawn with Skia.
/// </summary>
public static class PlotConfusionMatrix
{
    private static readonly SKColor Low = SKColors.White, High = new(8, 48, 107);

    /// <summary>Draws the matrix. Returns <c>uint8</c> RGB <c>[3, H, W]</c>; the size follows from K and the names.</summary>
    /// <param name="counts">Counts <c>[K, K]</c> (any numeric dtype, ≥ 0): row = true class, column = predicted class.</param>
    /// <param name="classNames">K names, indexed by class.</param>
    /// <param name="title">Title above the matrix, or empty.</param>
    public static Tensor Render(Tensor counts, IReadOnlyList<string> classNames, string title = "Confusion matrix")
    {
        using var bitmap = Draw(counts, classNames, title);
        return ImageTensor.FromBitmap(bitmap);
    }

    /// <summary>Draws the matrix (see <see cref="Render"/>) and writes it as PNG, atomically.</summary>
    public static void Write(string path, Tensor counts, IReadOnlyList<string> classNames, string title = "Confusion matrix")
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{path}: plots are written as PNG; use a .png file name");
        using var bitmap = Draw(counts, classNames, title);
        ImageFile.Write(path, bitmap);
    }

    private static SKBitmap Draw(Tensor counts, IReadOnlyList<string> names, string title)
    {
        if (counts.dim() != 2 || counts.shape[0] != counts.shape[1])
            throw new ArgumentException($"confusion counts must be square [K, K], got [{string.Join(", ", counts.shape)}]");
        int k = (int)counts.shape[0];
        if (k == 0) throw new ArgumentException("confusion counts are empty (K = 0)");
        if (names.Count != k) throw new ArgumentException($"{names.Count} class names for a {k}x{k} confusion matrix");
        double[] c;
        using (var scope = NewDisposeScope())
            c = counts.cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        if (c.Any(v => !(v >= 0))) throw new ArgumentException("confusion counts must be finite and ≥ 0");

        int cell = Math.Clamp(640 / k, 28, 64);
        using var font = TextFont.Create(Math.Clamp(cell * 0.3f, 9f, 14f));
        using var titleFont = TextFont.Create(16);
        float nameW = font is null ? 0 : names.Max(n => font.MeasureText(n));
        float lineH = font is null ? 0 : font.Spacing;
        int left = (int)Math.Ceiling(nameW + 2 * lineH + 16);
        int top = (int)Math.Ceiling((titleFont is null || title.Length == 0 ? 0 : titleFont.Spacing) + 16);
        int bottom = (int)Math.Ceiling(nameW * 0.72 + 2 * lineH + 16);
        int width = left + k * cell + 24 + (int)(nameW * 0.3), height = top + k * cell + bottom;

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
        for (int i = 0; i < k; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < k; j++) rowSum += c[i * k + j];
            for (int j = 0; j < k; j++)
            {
                double v = c[i * k + j], f = rowSum > 0 ? v / rowSum : 0;
                var color = Lerp(Low, High, f);
                fill.Color = color;
                var rect = SKRect.Create(left + j * cell, top + i * cell, cell, cell);
                canvas.DrawRect(rect, fill);
                if (font is null) continue;
                string text = Count(v);
                using var cellFont = Fit(font, text, cell - 4);
                using var cellInk = new SKPaint { Color = Palette.TextOn(color), IsAntialias = true };
                canvas.DrawText(text, rect.MidX, rect.MidY - (cellFont.Metrics.Ascent + cellFont.Metrics.Descent) / 2,
                    SKTextAlign.Center, cellFont, cellInk);
            }
        }
        using var grid = new SKPaint { Color = new SKColor(200, 200, 200), IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(SKRect.Create(left, top, k * cell, k * cell), grid);

        if (titleFont is not null && title.Length > 0)
            canvas.DrawText(title, left + k * cell / 2f, 8 - titleFont.Metrics.Ascent, SKTextAlign.Center, titleFont, ink);
        if (font is null) return bitmap;
        float mid = (font.Metrics.Ascent + font.Metrics.Descent) / 2;
        for (int i = 0; i < k; i++)
        {
            // Row names, right-aligned against the matrix; column names at 45°, ending under their column.
            canvas.DrawText(names[i], left - 6, top + (i + 0.5f) * cell - mid, SKTextAlign.Right, font, ink);
            canvas.Save();
            canvas.Translate(left + (i + 0.5f) * cell, top + k * cell + 6);
            canvas.RotateDegrees(-45);
            canvas.DrawText(names[i], 0, -mid, SKTextAlign.Right, font, ink);
            canvas.Restore();
        }
        canvas.DrawText("predicted", left + k * cell / 2f, height - 8 - font.Metrics.Descent, SKTextAlign.Center, font, ink);
        canvas.Save();
        canvas.Translate(8 - font.Metrics.Ascent, top + k * cell / 2f);
        canvas.RotateDegrees(-90);
        canvas.DrawText("true", 0, 0, SKTextAlign.Center, font, ink);
        canvas.Restore();
        return bitmap;
    }

    private static string Count(double v) =>
        v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static SKFont Fit(SKFont font, string text, float room)
    {
        var f = new SKFont(font.Typeface, font.Size) { Edging = font.Edging, Subpixel = font.Subpixel };
        float w = f.MeasureText(text);
        if (w > room && w > 0) f.Size = Math.Max(6f, f.Size * room / w);
        return f;
    }

    private static SKColor Lerp(SKColor a, SKColor b, double t) => new(
        (byte)Math.Round(a.Red + (b.Red - a.Red) * t),
        (byte)Math.Round(a.Green + (b.Green - a.Green) * t),
        (byte)Math.Round(a.Blue + (b.Blue - a.Blue) * t));
}
