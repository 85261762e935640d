using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// The bilinear upsampling kernel of a transposed convolution (Long, Shelhamer &amp; Darrell 2015, FCN's
/// <c>upsample_filt</c>): for a factor s, a k x k kernel with k = 2s − s mod 2, centre c = s − 1 (k odd) or s − ½
/// (k even), and weight (1 − |i − c| / s)(1 − |j − c| / s) at tap (i, j). With stride s and padding ⌊s / 2⌋ a transposed
/// convolution maps an n x n map to exactly sn x sn, and output pixel y receives input pixel i with weight
/// max(0, 1 − |u − i|) per axis, u = (y + ½) / s − ½: bilinear interpolation on pixel centres
/// (<c>interpolate(bilinear, align_corners: false)</c>) wherever both neighbours exist, and zero beyond the map's edge
/// (the outer ⌊s / 2⌋ output pixels fade towards zero instead of repeating the edge; <see cref="BilinearUpsample"/>
/// repeats it).
/// </summary>
public static class BilinearKernel
{
    /// <summary>Kernel side k = 2s − s mod 2 for an upsampling factor s ≥ 1.</summary>
    public static int Size(int factor) => 2 * Check(factor) - factor % 2;

    /// <summary>Padding ⌊s / 2⌋ that makes a stride-s transposed convolution's output exactly s times its input.</summary>
    public static int Padding(int factor) => Check(factor) / 2;

    /// <summary>The 2-D kernel <c>[k, k]</c> for factor <paramref name="factor"/>, computed in float64 and rounded once to <paramref name="dtype"/>.</summary>
    public static Tensor Kernel(int factor, ScalarType dtype = ScalarType.Float32)
    {
        int k = Size(factor);
        double c = k % 2 == 1 ? factor - 1 : factor - 0.5;
        var w = new double[k];
        for (int i = 0; i < k; i++) w[i] = 1 - Math.Abs(i - c) / factor;
        using var v = tensor(w);
        using var outer = v.unsqueeze(1).mul(v.unsqueeze(0));
        return outer.to_type(dtype);
    }

    /// <summary>
    /// Sets a transposed convolution's weight <c>[C, C, k, k]</c> to per-channel bilinear upsampling (channel c to
    /// channel c, no mixing: FCN's <c>interp</c>) and its bias, if any, to zero. The layer must map C channels to C,
    /// have a square k x k kernel, stride s and k = 2s − s mod 2.
    /// </summary>
    /// <exception cref="ArgumentException">The layer's channels, kernel or stride do not fit.</exception>
    public static void Initialise(ConvTranspose2d layer)
    {
        var w = layer.weight ?? throw new ArgumentException("the transposed convolution has no weight");
        long cin = w.shape[0], cout = w.shape[1], kh = w.shape[2], kw = w.shape[3];
        long s = layer.stride[0];
        if (cin != cout) throw new ArgumentException($"bilinear initialisation needs as many input as output channels, got {cin} -> {cout}");
        if (kh != kw || layer.stride.Any(v => v != s) || layer.groups != 1)
            throw new ArgumentException($"bilinear initialisation needs a square kernel, equal strides and one group, got kernel {kh}x{kw}, stride [{string.Join(", ", layer.stride)}]");
        if (kh != Size((int)s)) throw new ArgumentException($"a stride-{s} bilinear kernel has side {Size((int)s)}, the layer's is {kh}");
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            w.zero_();
            var k = Kernel((int)s, w.dtype);
            for (long c = 0; c < cin; c++) w[c, c].copy_(k);
            layer.bias?.zero_();
        }
    }

    /// <summary>
    /// A transposed convolution <paramref name="channels"/> → <paramref name="channels"/> with stride s, kernel
    /// 2s − s mod 2, padding ⌊s / 2⌋ and no bias, initialised to bilinear upsampling: FCN's upsampling layer. Its output
    /// is exactly s times its input; edges fade to zero (see the class comment).
    /// </summary>
    public static ConvTranspose2d Layer(int channels, int factor, string name = "upscore")
    {
        if (channels < 1) throw new ArgumentException($"channels {channels} must be positive");
        var layer = nn.ConvTranspose2d(channels, channels, Size(factor), stride: factor, padding: Padding(factor), bias: false);
        Initialise(layer);
        return layer;
    }

    private static int Check(int factor) =>
        factor >= 1 ? factor : throw new ArgumentException($"upsampling factor {factor} must be ≥ 1");
}
