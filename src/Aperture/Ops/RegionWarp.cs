using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>
/// R-CNN's region warping (Girshick et al. 2014, section 2.1 and appendix A): each proposal is dilated so that, once
/// warped anisotropically to <c>size x size</c>, exactly <c>padding</c> pixels of image context surround the
/// original box on every side; pixels beyond the image take the mean (zero after the backbone's per-channel normalisation).
/// Sampling is bilinear at the output pixel centres.
/// </summary>
public static class RegionWarp
{
    /// <summary>
    /// The dilated boxes <c>[K, 4]</c> that are warped: each box is scaled about its centre by
    /// <c>size / (size − 2·padding)</c>, so that it maps to the inner <c>(size − 2·padding)²</c> square of the crop.
    /// </summary>
    public static Tensor ContextBoxes(Tensor boxes, int size, int padding)
    {
        if (size < 1 || padding < 0 || 2 * padding >= size) throw new ArgumentException($"warp size {size} and context padding {padding} need size > 2·padding >= 0");
        double s = (double)size / (size - 2 * padding);
        var b = boxes.to_type(ScalarType.Float32);
        var cx = b[.., 0].add(b[.., 2]).mul(0.5); var cy = b[.., 1].add(b[.., 3]).mul(0.5);
        var hw = b[.., 2].sub(b[.., 0]).mul(0.5 * s); var hh = b[.., 3].sub(b[.., 1]).mul(0.5 * s);
        return stack(new[] { cx.sub(hw), cy.sub(hh), cx.add(hw), cy.add(hh) }, 1);
    }

    /// <summary>
    /// Warps regions of one image. <paramref name="image"/>: normalised float32 <c>[3, H, W]</c>;
    /// <paramref name="boxes"/>: <c>[K, 4]</c> in pixels. Returns crops <c>float32 [K, 3, size, size]</c>.
    /// </summary>
    public static Tensor Warp(Tensor image, Tensor boxes, int size, int padding)
    {
        if (image.dim() != 3) throw new ArgumentException($"expected a normalised image [C, H, W], got [{string.Join(", ", image.shape)}]");
        if (boxes.dim() != 2 || boxes.shape[1] != 4) throw new ArgumentException($"boxes must be [K, 4], got [{string.Join(", ", boxes.shape)}]");
        using var scope = NewDisposeScope();
        long k = boxes.shape[0], c = image.shape[0], h = image.shape[1], w = image.shape[2];
        if (k == 0) return zeros(new long[] { 0, c, size, size }, image.dtype, image.device).MoveToOuterDisposeScope();
        var e = ContextBoxes(boxes, size, padding).to(image.device);
        // Output pixel centres (j + 0.5) / size along the dilated box, in grid_sample's normalised coordinates
        // (align_corners = false: -1 and +1 are the outer edges of the image).
        var t = arange(size, dtype: ScalarType.Float32, device: image.device).add(0.5).div(size);          // [S]
        var gx = e[.., 0].unsqueeze(1).add(e[.., 2].sub(e[.., 0]).unsqueeze(1).mul(t)).mul(2.0 / w).sub(1);  // [K, S]
        var gy = e[.., 1].unsqueeze(1).add(e[.., 3].sub(e[.., 1]).unsqueeze(1).mul(t)).mul(2.0 / h).sub(1);  // [K, S]
        var grid = stack(new[] { gx.unsqueeze(1).expand(k, size, size), gy.unsqueeze(2).expand(k, size, size) }, 3); // [K, S, S, 2]
        var sampled = nn.functional.grid_sample(image.unsqueeze(0), grid.reshape(1, k * size, size, 2),
            mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Zeros, align_corners: false); // [1, C, K·S, S]
        return sampled.view(c, k, size, size).permute(1, 0, 2, 3).contiguous().MoveToOuterDisposeScope();
    }
}
