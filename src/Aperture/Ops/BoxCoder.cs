using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>
/// R-CNN bounding-box regression targets (Girshick et al. 2014, appendix C): for a proposal P with centre
/// (Px, Py), width Pw and height Ph and a target box G,
/// tx = wx (Gx − Px) / Pw, ty = wy (Gy − Py) / Ph, tw = ww log(Gw / Pw), th = wh log(Gh / Ph).
/// The weights (wx, wy, ww, wh) scale the targets (Fast R-CNN uses 10, 10, 5, 5; the paper uses 1, 1, 1, 1).
/// </summary>
public sealed class BoxCoder
{
    /// <summary>Largest dw, dh applied when decoding, log(1000/16) as in Fast R-CNN implementations, so exp never overflows.</summary>
    public static readonly double ScaleClamp = Math.Log(1000.0 / 16);

    /// <summary>Creates a coder with the given target weights.</summary>
    public BoxCoder(double wx = 1, double wy = 1, double ww = 1, double wh = 1)
    {
        if (!(wx > 0 && wy > 0 && ww > 0 && wh > 0)) throw new ArgumentException($"box coder weights must be positive, got ({wx}, {wy}, {ww}, {wh})");
        (Wx, Wy, Ww, Wh) = (wx, wy, ww, wh);
    }

    /// <summary>Weight of dx.</summary>
    public double Wx { get; }
    /// <summary>Weight of dy.</summary>
    public double Wy { get; }
    /// <summary>Weight of dw.</summary>
    public double Ww { get; }
    /// <summary>Weight of dh.</summary>
    public double Wh { get; }

    /// <summary>
    /// Regression targets <c>[K, 4]</c> (dx, dy, dw, dh), float32, that move <paramref name="proposals"/>
    /// <c>[K, 4]</c> onto <paramref name="targets"/> <c>[K, 4]</c>. Proposals must have positive width and height.
    /// </summary>
    public Tensor Encode(Tensor proposals, Tensor targets)
    {
        Boxes.CheckShape(proposals, nameof(proposals));
        Boxes.CheckShape(targets, nameof(targets));
        if (proposals.shape[0] != targets.shape[0])
            throw new ArgumentException($"encode: {proposals.shape[0]} proposals but {targets.shape[0]} targets");
        using var scope = NewDisposeScope();
        var (px, py, pw, ph) = CentreSize(proposals.to_type(ScalarType.Float32));
        if ((pw <= 0).any().item<bool>() || (ph <= 0).any().item<bool>())
            throw new ArgumentException("encode: a proposal has zero or negative width or height");
        var (gx, gy, gw, gh) = CentreSize(targets.to_type(ScalarType.Float32));
        var d = stack(new[]
        {
            (gx - px) / pw * Wx, (gy - py) / ph * Wy,
            (gw / pw).log() * Ww, (gh / ph).log() * Wh,
        }, 1);
        return d.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies regression <paramref name="deltas"/> <c>[K, 4]</c> (or <c>[K, 4·C]</c>, one set per class) to
    /// <paramref name="proposals"/> <c>[K, 4]</c>; returns boxes of the same shape as the deltas, float32.
    /// </summary>
    public Tensor Decode(Tensor proposals, Tensor deltas)
    {
        Boxes.CheckShape(proposals, nameof(proposals));
        if (deltas.dim() != 2 || deltas.shape[1] % 4 != 0 || deltas.shape[0] != proposals.shape[0])
            throw new ArgumentException($"decode: expected deltas [{proposals.shape[0]}, 4*C], got [{string.Join(", ", deltas.shape)}]");
        using var scope = NewDisposeScope();
        var (px, py, pw, ph) = CentreSize(proposals.to_type(ScalarType.Float32));
        var d = deltas.to_type(ScalarType.Float32);
        var dx = d[.., TensorIndex.Slice(0, null, 4)] / Wx;
        var dy = d[.., TensorIndex.Slice(1, null, 4)] / Wy;
        var dw = (d[.., TensorIndex.Slice(2, null, 4)] / Ww).clamp_max(ScaleClamp);
        var dh = (d[.., TensorIndex.Slice(3, null, 4)] / Wh).clamp_max(ScaleClamp);
        var cx = dx * pw[.., TensorIndex.None] + px[.., TensorIndex.None];
        var cy = dy * ph[.., TensorIndex.None] + py[.., TensorIndex.None];
        var w = dw.exp() * pw[.., TensorIndex.None];
        var h = dh.exp() * ph[.., TensorIndex.None];
        var boxes = stack(new[] { cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h }, 2);
        return boxes.reshape(d.shape[0], d.shape[1]).MoveToOuterDisposeScope();
    }

    private static (Tensor X, Tensor Y, Tensor W, Tensor H) CentreSize(Tensor b)
    {
        var w = b[.., 2] - b[.., 0];
        var h = b[.., 3] - b[.., 1];
        return (b[.., 0] + 0.5f * w, b[.., 1] + 0.5f * h, w, h);
    }
}
