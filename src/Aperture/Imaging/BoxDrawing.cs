using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>Draws labelled bounding boxes on an image: the picture every detector writes.</summary>
public static class BoxDrawing
{
    /// <summary>
    /// Draws boxes on a copy of <paramref name="image"/>.
    /// A box <c>(x1, y1, x2, y2)</c> (pixels, rounded) covers columns <c>x1 … x2 − 1</c> and rows
    /// <c>y1 … y2 − 1</c>; its border is drawn inside that rectangle, and whatever lies outside the
    /// image is clipped. Each box's label reads "name score" ("Coat 0.93") on a filled background of
    /// the box's colour, above the box (inside it when there is no room above).
    /// </summary>
    /// <param name="image">The picture, <c>[C, H, W]</c> with C = 1 or 3, <c>uint8</c> or float in [0, 1].</param>
    /// <param name="boxes">Boxes <c>[K, 4]</c> as x1, y1, x2, y2 in pixels (any real dtype).</param>
    /// <param name="labels">Class ids <c>[K]</c> (integer), or null: one colour, no class names.</param>
    /// <param name="classNames">Names indexed by label; null writes the label number.</param>
    /// <param name="scores">Scores <c>[K]</c> shown with two decimals, or null.</param>
    /// <param name="style">Line width, font size, colours; null for the defaults.</param>
    /// <returns>The drawn image, <c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public static Tensor Draw(Tensor image, Tensor boxes, Tensor? labels = null, IReadOnlyList<string>? classNames = null,
        Tensor? scores = null, BoxStyle? style = null)
    {
        style ??= new BoxStyle();
        using var scope = NewDisposeScope();
        var rgb = Raster.Rgb(image);
        int h = (int)rgb.shape[1], w = (int)rgb.shape[2];
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"boxes must be [K, 4] (x1, y1, x2, y2), got [{string.Join(", ", boxes.shape)}]");
        int k = (int)boxes.shape[0];
        if (k == 0) return rgb.clone().MoveToOuterDisposeScope(); // nothing to draw (TorchSharp cannot read an empty tensor's data)
        double[] b = boxes.to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        long[]? l = labels is null ? null : Vector(labels, k, "labels").to_type(ScalarType.Int64).data<long>().ToArray();
        double[]? s = scores is null ? null : Vector(scores, k, "scores").to_type(ScalarType.Float64).data<double>().ToArray();
        if (l is not null && classNames is not null)
            foreach (long label in l)
                if (label < 0 || label >= classNames.Count)
                    throw new ArgumentException($"label {label} has no class name ({classNames.Count} names given)");

        int lineWidth = style.LineWidth > 0 ? style.LineWidth : Math.Max(1, (int)Math.Round(Math.Max(h, w) / 200.0));
        float fontSize = style.FontSize > 0 ? style.FontSize : Math.Clamp(Math.Max(h, w) / 40f, 9f, 32f);

        using var bitmap = Raster.ToDrawable(rgb);
        using (var canvas = new SKCanvas(bitmap))
        using (var font = style.ShowLabels ? TextFont.Create(fontSize) : null)
        {
            for (int i = 0; i < k; i++)
            {
                double x1 = b[4 * i], y1 = b[4 * i + 1], x2 = b[4 * i + 2], y2 = b[4 * i + 3];
                if (!(double.IsFinite(x1) && double.IsFinite(y1) && double.IsFinite(x2) && double.IsFinite(y2)))
                    throw new ArgumentException($"box {i} has a non-finite coordinate ({x1}, {y1}, {x2}, {y2})");
                var rect = new SKRectI((int)Math.Round(x1), (int)Math.Round(y1), (int)Math.Round(x2), (int)Math.Round(y2));
                if (rect.Width <= 0 || rect.Height <= 0) continue;
                var color = style.Color
                    ?? Palette.Color(l is null ? 1 : checked((int)l[i]) + (style.LabelsIncludeBackground ? 0 : 1));
                DrawBorder(canvas, rect, lineWidth, color);
                if (font is null) continue;
                string text = LabelText(l?[i], classNames, s?[i]);
                if (text.Length > 0) DrawLabel(canvas, font, text, rect, color, w);
            }
        }
        return ImageTensor.FromBitmap(bitmap).MoveToOuterDisposeScope();
    }

    private static Tensor Vector(Tensor t, int k, string what)
    {
        if (t.dim() != 1 || t.shape[0] != k)
            throw new ArgumentException($"{what} must be [K] with K = {k} (one per box), got [{string.Join(", ", t.shape)}]");
        return t.cpu().contiguous();
    }

    private static string LabelText(long? label, IReadOnlyList<string>? names, double? score)
    {
        string name = label is null ? "" : names is null ? label.Value.ToString() : names[(int)label.Value];
        string sc = score is null ? "" : score.Value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        return name.Length > 0 && sc.Length > 0 ? $"{name} {sc}" : name + sc;
    }

    /// <summary>Fills the border of <paramref name="r"/> (inside it) with four non-antialiased rectangles.</summary>
    private static void DrawBorder(SKCanvas canvas, SKRectI r, int lineWidth, SKColor color)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = false, Style = SKPaintStyle.Fill };
        int lw = Math.Min(lineWidth, (Math.Min(r.Width, r.Height) + 1) / 2);
        canvas.DrawRect(SKRect.Create(r.Left, r.Top, r.Width, lw), paint);
        canvas.DrawRect(SKRect.Create(r.Left, r.Bottom - lw, r.Width, lw), paint);
        canvas.DrawRect(SKRect.Create(r.Left, r.Top, lw, r.Height), paint);
        canvas.DrawRect(SKRect.Create(r.Right - lw, r.Top, lw, r.Height), paint);
    }

    private static void DrawLabel(SKCanvas canvas, SKFont font, string text, SKRectI box, SKColor color, int imageWidth)
    {
        var metrics = font.Metrics;
        float pad = MathF.Max(1, font.Size / 6);
        float textWidth = font.MeasureText(text);
        float labelW = textWidth + 2 * pad, labelH = metrics.Descent - metrics.Ascent + 2 * pad;
        float x = box.Left, y = box.Top - labelH;
        if (y < 0) y = box.Top; // no room above: inside the box's top edge
        if (x + labelW > imageWidth) x = MathF.Max(0, imageWidth - labelW);
        if (x < 0) x = 0;
        using var fill = new SKPaint { Color = color, IsAntialias = false, Style = SKPaintStyle.Fill };
        canvas.DrawRect(SKRect.Create(x, y, labelW, labelH), fill);
        using var ink = new SKPaint { Color = Palette.TextOn(color), IsAntialias = true };
        canvas.DrawText(text, x + pad, y + pad - metrics.Ascent, SKTextAlign.Left, font, ink);
    }
}
