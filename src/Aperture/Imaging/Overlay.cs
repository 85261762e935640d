using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>Blends class masks and heatmaps over images: segmentation results and class activation maps.</summary>
public static class Overlay
{
    /// <summary>
    /// Paints a class mask over an image: each pixel of class c ≥ 1 becomes
    /// (1 − alpha) · image + alpha · <see cref="Palette.Color"/>(c); background pixels (class 0) are left as they are
    /// unless <paramref name="includeBackground"/>.
    /// </summary>
    /// <param name="image">The picture, <c>[C, H, W]</c>, C = 1 or 3, <c>uint8</c> or float in [0, 1].</param>
    /// <param name="mask">Class ids <c>[H, W]</c>, any integer dtype, each ≥ 0.</param>
    /// <param name="alpha">Opacity of the mask colours, 0 (invisible) to 1 (opaque).</param>
    /// <param name="includeBackground">Also blend class 0 (black) over the background pixels.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public static Tensor Mask(Tensor image, Tensor mask, double alpha = 0.5, bool includeBackground = false)
    {
        CheckAlpha(alpha);
        using var scope = NewDisposeScope();
        var rgb = Raster.Rgb(image);
        if (mask.dim() != 2 || mask.shape[0] != rgb.shape[1] || mask.shape[1] != rgb.shape[2])
            throw new ArgumentException($"mask must be [H, W] = [{rgb.shape[1]}, {rgb.shape[2]}] like the image, got [{string.Join(", ", mask.shape)}]");
        if (mask.is_floating_point() || mask.dtype == ScalarType.Bool)
            throw new ArgumentException($"mask must hold integer class ids, got {mask.dtype}");
        var ids = mask.cpu().to_type(ScalarType.Int64);
        long min = ids.numel() == 0 ? 0 : ids.min().item<long>();
        if (min < 0) throw new ArgumentException($"mask holds a negative class id {min}");
        long max = ids.numel() == 0 ? 0 : ids.max().item<long>();
        var colors = Palette.Table(checked((int)max + 1)).index_select(0, ids.flatten())
            .reshape(ids.shape[0], ids.shape[1], 3).permute(2, 0, 1);
        var where = includeBackground ? ones_like(ids, ScalarType.Bool) : ids.ne(0);
        return Blend(rgb, colors, alpha, where).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Lays a heatmap over an image: the map is resized bilinearly to the image size, coloured with
    /// <paramref name="map"/> (viridis by default; turbo is the classic CAM look) and blended with opacity
    /// <paramref name="alpha"/>.
    /// </summary>
    /// <param name="image">The picture, <c>[C, H, W]</c>, C = 1 or 3, <c>uint8</c> or float in [0, 1].</param>
    /// <param name="heatmap">Values <c>[h, w]</c>, floating point, any size.</param>
    /// <param name="alpha">Opacity of the heatmap, 0 to 1.</param>
    /// <param name="map">Colour map; null for <see cref="ColorMap.Viridis"/>.</param>
    /// <param name="min">Value shown at the low end of the map; null takes the heatmap's minimum.</param>
    /// <param name="max">Value shown at the high end; null takes the heatmap's maximum.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public static Tensor Heatmap(Tensor image, Tensor heatmap, double alpha = 0.5, ColorMap? map = null,
        double? min = null, double? max = null)
    {
        CheckAlpha(alpha);
        using var scope = NewDisposeScope();
        var rgb = Raster.Rgb(image);
        if (heatmap.dim() != 2)
            throw new ArgumentException($"heatmap must be [h, w], got [{string.Join(", ", heatmap.shape)}]");
        long h = rgb.shape[1], w = rgb.shape[2];
        var heat = heatmap.cpu().to_type(ScalarType.Float32);
        if (heat.shape[0] != h || heat.shape[1] != w)
        {
            // Bounds come from the original values so resizing cannot move them.
            var (lo, hi) = ColorMap.FiniteRange(heat);
            min ??= lo;
            max ??= hi;
            heat = nn.functional.interpolate(heat.unsqueeze(0).unsqueeze(0), new long[] { h, w },
                mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0).squeeze(0);
        }
        var colors = (map ?? ColorMap.Viridis).Apply(heat, min, max);
        return Blend(rgb, colors, alpha, null).MoveToOuterDisposeScope();
    }

    /// <summary>(1 − alpha) · image + alpha · colors where <paramref name="where"/> holds (everywhere if null); uint8 in and out.</summary>
    private static Tensor Blend(Tensor rgb, Tensor colors, double alpha, Tensor? where)
    {
        var a = rgb.to_type(ScalarType.Float32);
        var mixed = a.mul(1 - alpha).add(colors.to_type(ScalarType.Float32).mul(alpha));
        if (where is not null) mixed = TorchSharp.torch.where(where.unsqueeze(0), mixed, a);
        return mixed.round().clamp(0, 255).to_type(ScalarType.Byte);
    }

    private static void CheckAlpha(double alpha)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
    }
}
