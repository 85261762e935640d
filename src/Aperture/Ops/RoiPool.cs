using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>
/// RoI max pooling (Girshick, Fast R-CNN, ICCV 2015): each region of interest is projected onto the feature map
/// by <c>spatialScale</c>, split into an h x w grid of bins, and each bin takes the maximum of its cells.
/// Bin rounding is torchvision's: RoI corners are rounded to the nearest cell, the RoI spans
/// round(x2·s) − round(x1·s) + 1 cells, bin p covers cells [floor(p·b), ceil((p+1)·b)) with b = cells / h, and an
/// empty bin gives 0.
/// </summary>
/// <remarks>
/// The backward pass is exact and comes from autograd: the arg-max "switches" are found without gradient in plain
/// C# (in parallel over RoIs, SIMD across channels), and the output is then an <c>index_select</c> of the input flattened
/// channels-last (<c>[N, H, W, C]</c>) at those
/// switches. The gradient of <c>index_select</c> is a scatter-add (<c>index_add</c>) of the output gradient into
/// the switch positions, which is exactly the RoI pooling backward pass of the paper (eq. 4).
/// </remarks>
public sealed class RoiPool : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates a RoI pooling layer with output <paramref name="outputHeight"/> x <paramref name="outputWidth"/>.</summary>
    public RoiPool(int outputHeight, int outputWidth, double spatialScale) : base(nameof(RoiPool))
    {
        RoiChecks.Output(outputHeight, outputWidth, spatialScale);
        (OutputHeight, OutputWidth, SpatialScale) = (outputHeight, outputWidth, spatialScale);
    }

    /// <summary>Bins per RoI vertically.</summary>
    public int OutputHeight { get; }
    /// <summary>Bins per RoI horizontally.</summary>
    public int OutputWidth { get; }
    /// <summary>Feature-map cells per input pixel (1/16 for a stride-16 backbone).</summary>
    public double SpatialScale { get; }

    /// <summary>Pools <paramref name="input"/> <c>[N, C, H, W]</c> over <paramref name="rois"/> <c>[K, 5]</c>; returns <c>[K, C, h, w]</c>.</summary>
    public override Tensor forward(Tensor input, Tensor rois) => Apply(input, rois, OutputHeight, OutputWidth, SpatialScale);

    /// <summary>
    /// RoI max pooling. <paramref name="input"/>: float32 or float64 <c>[N, C, H, W]</c>; <paramref name="rois"/>:
    /// <c>[K, 5]</c> rows (batch index, x1, y1, x2, y2) in input-image pixels. Returns <c>[K, C, h, w]</c> of the
    /// input's dtype, differentiable with respect to the input.
    /// </summary>
    public static Tensor Apply(Tensor input, Tensor rois, int outputHeight, int outputWidth, double spatialScale)
    {
        RoiChecks.Output(outputHeight, outputWidth, spatialScale);
        var r = RoiChecks.Rois(input, rois);
        int n = (int)input.shape[0], c = (int)input.shape[1], h = (int)input.shape[2], w = (int)input.shape[3];
        int k = r.Length / 5, bins = outputHeight * outputWidth;
        using var scope = NewDisposeScope();
        if (k == 0) return zeros(new long[] { 0, c, outputHeight, outputWidth }, input.dtype).MoveToOuterDisposeScope();
        var data = input.detach().cpu().permute(0, 2, 3, 1).contiguous(); // channels last
        if ((long)h * w > 1 << 24) throw new ArgumentException($"RoI pooling supports feature maps up to 2^24 cells, got {h}x{w}");
        bool wide = (long)n * c * h * w > int.MaxValue;
        var index = empty(new long[] { (long)k * c * bins }, wide ? ScalarType.Int64 : ScalarType.Int32);
        var nonEmpty = new bool[k * bins];
        if (input.dtype == ScalarType.Float64) Switches<double>(data, r, index, nonEmpty, c, h, w, outputHeight, outputWidth, spatialScale, wide);
        else if (input.dtype == ScalarType.Float32) Switches<float>(data, r, index, nonEmpty, c, h, w, outputHeight, outputWidth, spatialScale, wide);
        else throw new ArgumentException($"RoI pooling needs a float32 or float64 input, got {input.dtype}");
        // Indices address the channels-last flattening [N, H, W, C]: free for the channels-last maps the detectors' body
        // gives (no copy forward, and the gradient comes back in the same layout), one copy for any other input.
        var flat = input.permute(0, 2, 3, 1).reshape(-1);
        var pooled = flat.index_select(0, index.to(input.device)).view(k, outputHeight, outputWidth, c).permute(0, 3, 1, 2);
        if (Array.TrueForAll(nonEmpty, e => e)) return pooled.MoveToOuterDisposeScope();
        var mask = tensor(nonEmpty, new long[] { k, 1, outputHeight, outputWidth }).to(input.device);
        return where(mask, pooled, zeros(1, dtype: input.dtype, device: input.device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Finds the arg-max cell of every (RoI, channel, bin). The map is read channels-last (<c>[N, H, W, C]</c>) so
    /// each cell compares all channels at once with SIMD; ties keep the first cell in raster order, as torchvision.
    /// </summary>
    private static void Switches<T>(Tensor data, float[] rois, Tensor index, bool[] nonEmpty, int c, int h, int w,
        int ph, int pw, double scale, bool wide) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = rois.Length / 5, bins = ph * pw, plane = h * w, vc = Vector<T>.Count;
        Parallel.For(0, k, () => (Max: new T[c], Arg: new T[c]), (roi, _, buf) =>
        {
            var x = MemoryMarshal.Cast<byte, T>(data.bytes);
            var idxBytes = index.bytes;
            var (maxv, arg) = buf;
            int b = (int)rois[5 * roi];
            int x1 = (int)Math.Round(rois[5 * roi + 1] * scale, MidpointRounding.AwayFromZero);
            int y1 = (int)Math.Round(rois[5 * roi + 2] * scale, MidpointRounding.AwayFromZero);
            int x2 = (int)Math.Round(rois[5 * roi + 3] * scale, MidpointRounding.AwayFromZero);
            int y2 = (int)Math.Round(rois[5 * roi + 4] * scale, MidpointRounding.AwayFromZero);
            float binH = Math.Max(y2 - y1 + 1, 1) / (float)ph;
            float binW = Math.Max(x2 - x1 + 1, 1) / (float)pw;
            var i32 = MemoryMarshal.Cast<byte, int>(idxBytes);
            var i64 = MemoryMarshal.Cast<byte, long>(idxBytes);
            long imageBase = (long)b * c * plane;
            for (int i = 0; i < ph; i++)
            {
                int hs = Math.Clamp((int)MathF.Floor(i * binH) + y1, 0, h);
                int he = Math.Clamp((int)MathF.Ceiling((i + 1) * binH) + y1, 0, h);
                for (int j = 0; j < pw; j++)
                {
                    int ws = Math.Clamp((int)MathF.Floor(j * binW) + x1, 0, w);
                    int we = Math.Clamp((int)MathF.Ceiling((j + 1) * binW) + x1, 0, w);
                    bool any = he > hs && we > ws;
                    nonEmpty[roi * bins + i * pw + j] = any;
                    int first = any ? hs * w + ws : 0; // empty bins point at cell 0; their output is masked to 0
                    x.Slice((int)(b * (long)plane + first) * c, c).CopyTo(maxv);
                    arg.AsSpan().Fill(T.CreateTruncating(first));
                    for (int yy = hs; yy < he; yy++)
                        for (int xx = ws; xx < we; xx++)
                        {
                            int cell = yy * w + xx;
                            if (cell == first) continue;
                            var v = x.Slice((int)((b * (long)plane + cell) * c), c);
                            var cellV = new Vector<T>(T.CreateTruncating(cell));
                            int ch = 0;
                            for (; ch + vc <= c; ch += vc)
                            {
                                var a = new Vector<T>(v.Slice(ch));
                                var m = new Vector<T>(maxv, ch);
                                var gt = Vector.GreaterThan(a, m);
                                Vector.ConditionalSelect(gt, a, m).CopyTo(maxv, ch);
                                Vector.ConditionalSelect(gt, cellV, new Vector<T>(arg, ch)).CopyTo(arg, ch);
                            }
                            for (; ch < c; ch++)
                                if (v[ch] > maxv[ch]) { maxv[ch] = v[ch]; arg[ch] = T.CreateTruncating(cell); }
                        }
                    // Index layout [K, h, w, C]: one contiguous run of C per bin.
                    long o = ((long)roi * bins + i * pw + j) * c;
                    if (wide)
                        for (int ch = 0; ch < c; ch++) i64[(int)(o + ch)] = imageBase + (long)int.CreateTruncating(arg[ch]) * c + ch;
                    else
                    {
                        var dst = i32.Slice((int)o, c);
                        int basePlane = (int)imageBase;
                        for (int ch = 0; ch < c; ch++) dst[ch] = basePlane + int.CreateTruncating(arg[ch]) * c + ch;
                    }
                }
            }
            return buf;
        }, _ => { });
    }
}

/// <summary>Argument checks shared by the RoI operations.</summary>
internal static class RoiChecks
{
    public static void Output(int outputHeight, int outputWidth, double spatialScale)
    {
        if (outputHeight <= 0 || outputWidth <= 0) throw new ArgumentException($"RoI output size must be positive, got {outputHeight}x{outputWidth}");
        if (!(spatialScale > 0) || double.IsInfinity(spatialScale)) throw new ArgumentException($"spatial scale must be positive and finite, got {spatialScale}");
    }

    /// <summary>Checks input [N, C, H, W] and rois [K, 5]; returns the rois as a flat float array.</summary>
    public static float[] Rois(Tensor input, Tensor rois)
    {
        if (input.dim() != 4) throw new ArgumentException($"RoI ops expect an input [N, C, H, W], got [{string.Join(", ", input.shape)}]");
        if (rois.dim() != 2 || rois.shape[1] != 5) throw new ArgumentException($"rois must be [K, 5] (batch index, x1, y1, x2, y2), got [{string.Join(", ", rois.shape)}]");
        if (rois.shape[0] == 0) return [];
        using var t = rois.detach().to_type(ScalarType.Float32).cpu().contiguous();
        var r = t.data<float>().ToArray();
        long n = input.shape[0];
        for (int i = 0; i < r.Length / 5; i++)
        {
            float b = r[5 * i];
            if (b != MathF.Floor(b) || b < 0 || b >= n) throw new ArgumentException($"roi {i}: batch index {b} is not an image index in [0, {n})");
            for (int j = 1; j < 5; j++)
                if (!float.IsFinite(r[5 * i + j])) throw new ArgumentException($"roi {i}: coordinate {j} is NaN or infinite");
        }
        return r;
    }
}
