using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>
/// Tiles a batch of images into one picture: sample grids, predictions with captions, learned filters,
/// reconstructions.
/// </summary>
public static class ImageGrid
{
    /// <summary>
    /// Lays out <c>[N, C, H, W]</c> images (C = 1 or 3, <c>uint8</c> or float in [0, 1]) row by row in
    /// <paramref name="columns"/> columns. Each tile is upscaled <paramref name="scale"/> times (nearest
    /// neighbour, so 28x28 digits stay crisp); tiles are separated and surrounded by
    /// <paramref name="padding"/> pixels of <paramref name="background"/>. With captions, each tile gets
    /// a text area below it, as tall as the longest caption needs (left out on a machine without fonts).
    /// Result size without captions: height = rows · (H · scale + padding) + padding and
    /// width = columns · (W · scale + padding) + padding, where rows = ceil(N / columns).
    /// </summary>
    /// <param name="images">The batch, <c>[N, C, H, W]</c>.</param>
    /// <param name="columns">Tiles per row; 0 picks ceil(sqrt(N)).</param>
    /// <param name="padding">Pixels between and around tiles.</param>
    /// <param name="scale">Integer upscaling factor, ≥ 1.</param>
    /// <param name="captions">One caption per image (N of them), or null.</param>
    /// <param name="background">Padding colour; null gives white.</param>
    /// <returns>The grid, <c>uint8</c> RGB <c>[3, H', W']</c>.</returns>
    public static Tensor Tile(Tensor images, int columns = 0, int padding = 2, int scale = 1,
        IReadOnlyList<Caption>? captions = null, SKColor? background = null)
    {
        if (images.dim() != 4 || (images.shape[1] != 1 && images.shape[1] != 3))
            throw new ArgumentException($"images must be [N, C, H, W] with C = 1 or 3, got [{string.Join(", ", images.shape)}]");
        int n = (int)images.shape[0];
        if (n == 0) throw new ArgumentException("cannot tile an empty batch (N = 0)");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be ≥ 0");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be ≥ 1");
        if (columns < 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be ≥ 0");
        if (captions is not null && captions.Count != n)
            throw new ArgumentException($"{captions.Count} captions for {n} images: give one caption per image");
        int cols = columns > 0 ? Math.Min(columns, n) : (int)Math.Ceiling(Math.Sqrt(n));
        int rows = (n + cols - 1) / cols;
        var bg = background ?? SKColors.White;

        using var scope = NewDisposeScope();
        var x = images.cpu();
        if (x.dtype != ScalarType.Byte)
        {
            if (!x.is_floating_point()) throw new ArgumentException($"images must be uint8, or floating point in [0, 1]; got {x.dtype}");
            x = x.to_type(ScalarType.Float32).nan_to_num(0.0).clamp(0, 1).mul(255).round().to_type(ScalarType.Byte);
        }
        if (x.shape[1] == 1) x = x.expand(-1, 3, -1, -1);
        if (scale > 1) x = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3);
        int th = (int)x.shape[2], tw = (int)x.shape[3];

        using var font = captions is null ? null : CaptionFont(captions, tw + Math.Min(padding, 2));
        float lineHeight = font is null ? 0 : font.Spacing;
        int maxLines = captions?.Max(c => c.Text.Split('\n').Length) ?? 0;
        int captionHeight = font is null ? 0 : (int)Math.Ceiling(maxLines * lineHeight) + 2;

        int cellH = th + captionHeight, height = rows * (cellH + padding) + padding, width = cols * (tw + padding) + padding;
        var canvas = stack(new[] { full(height, width, bg.Red, ScalarType.Byte), full(height, width, bg.Green, ScalarType.Byte),
            full(height, width, bg.Blue, ScalarType.Byte) });
        for (int i = 0; i < n; i++)
        {
            int top = padding + (i / cols) * (cellH + padding), left = padding + (i % cols) * (tw + padding);
            canvas.narrow(1, top, th).narrow(2, left, tw).copy_(x[i]);
        }
        if (font is null || captions is null) return canvas.MoveToOuterDisposeScope();

        using var bitmap = Raster.ToDrawable(canvas);
        using (var sk = new SKCanvas(bitmap))
        {
            for (int i = 0; i < n; i++)
            {
                float top = padding + (i / cols) * (cellH + padding) + th + 1, centre = padding + (i % cols) * (tw + padding) + tw / 2f;
                using var ink = new SKPaint { Color = captions[i].Color, IsAntialias = true };
                string[] lines = captions[i].Text.Split('\n');
                for (int j = 0; j < lines.Length; j++)
                    sk.DrawText(lines[j], centre, top + j * lineHeight - font.Metrics.Ascent, SKTextAlign.Center, font, ink);
            }
        }
        return ImageTensor.FromBitmap(bitmap).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scales each item of a batch <c>[N, …]</c> to [0, 1] by its own minimum and maximum (a constant item
    /// becomes 0.5), so items of very different ranges — conv filters, feature maps — are all visible.
    /// Returns <c>float32</c> of the same shape.
    /// </summary>
    public static Tensor NormalizeEach(Tensor batch)
    {
        if (batch.dim() < 1) throw new ArgumentException("NormalizeEach needs a batch [N, ...], got a scalar");
        using var scope = NewDisposeScope();
        var flat = batch.to_type(ScalarType.Float32).reshape(batch.shape[0], -1);
        var lo = flat.amin(new long[] { 1 }, keepdim: true);
        var range = flat.amax(new long[] { 1 }, keepdim: true) - lo;
        var scaled = where(range > 0, (flat - lo) / range.clamp_min(1e-30), full_like(flat, 0.5f));
        return scaled.reshape(batch.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Conv weights <c>[O, I, kh, kw]</c> as displayable images, each normalised by itself: with I = 3 one RGB
    /// image per filter, <c>[O, 3, kh, kw]</c>; otherwise one grey image per (filter, input channel),
    /// <c>[O · I, 1, kh, kw]</c>, filter by filter. Float in [0, 1], ready for <see cref="Tile"/>.
    /// </summary>
    public static Tensor Filters(Tensor weight)
    {
        if (weight.dim() != 4)
            throw new ArgumentException($"conv weights must be [O, I, kh, kw], got [{string.Join(", ", weight.shape)}]");
        using var scope = NewDisposeScope();
        var w = weight.detach().cpu();
        if (w.shape[1] != 3) w = w.reshape(-1, 1, w.shape[2], w.shape[3]);
        return NormalizeEach(w).MoveToOuterDisposeScope();
    }

    /// <summary>A font whose widest caption line fits a tile (at most 14 px, at least 7 px), or null without fonts.</summary>
    private static SKFont? CaptionFont(IReadOnlyList<Caption> captions, int room)
    {
        var font = TextFont.Create(14);
        if (font is null) return null;
        float widest = captions.SelectMany(c => c.Text.Split('\n')).Select(l => font.MeasureText(l)).DefaultIfEmpty(0).Max();
        if (widest > room - 4) font.Size = Math.Max(7f, 14f * (room - 4) / widest);
        return font;
    }
}
