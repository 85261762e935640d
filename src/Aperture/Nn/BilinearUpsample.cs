using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Nn;

/// <summary>
/// Upsampling by an integer factor s: <c>[N, C, H, W]</c> → <c>[N, C, sH, sW]</c>. Fixed, it is
/// <c>interpolate(bilinear, align_corners: false)</c>; learnable, it is FCN's in-network upsampling (Long, Shelhamer
/// &amp; Darrell 2015): a stride-s transposed convolution with a full C x C kernel initialised by
/// <see cref="BilinearKernel"/>, so before training it computes exactly the fixed map. Deliberate difference from FCN:
/// the input is edge-padded by one pixel (replicate) and the transposed convolution's padding raised by s, so the outer
/// pixels repeat the edge as interpolation does instead of fading towards zero (FCN hides those pixels with its 100-px
/// input padding and crop layers, which we do not use).
/// </summary>
public sealed class BilinearUpsample : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Parameter? weight;
#pragma warning restore IDE1006

    /// <summary>Creates the layer.</summary>
    /// <param name="channels">C, channels in and out.</param>
    /// <param name="factor">s ≥ 1.</param>
    /// <param name="learnable">True: a learned transposed convolution initialised to bilinear; false: fixed bilinear interpolation (no parameters).</param>
    public BilinearUpsample(int channels, int factor, bool learnable) : base(nameof(BilinearUpsample))
    {
        if (channels < 1) throw new ArgumentException($"channels {channels} must be positive");
        if (factor < 1) throw new ArgumentException($"upsampling factor {factor} must be ≥ 1");
        Channels = channels;
        Factor = factor;
        if (learnable)
        {
            using var layer = BilinearKernel.Layer(channels, factor);
            weight = new Parameter(layer.weight!.detach().clone());
        }
        RegisterComponents();
    }

    /// <summary>C, channels in and out.</summary>
    public int Channels { get; }

    /// <summary>The upsampling factor s.</summary>
    public int Factor { get; }

    /// <summary>Whether the kernel is a learned parameter (<c>[C, C, k, k]</c>, k = 2s − s mod 2).</summary>
    public bool Learnable => weight is not null;

    /// <summary>The learned kernel <c>[C, C, k, k]</c>, or null when fixed.</summary>
    public Tensor? Weight => weight;

    /// <summary>Upsamples <c>[N, C, H, W]</c> to <c>[N, C, sH, sW]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Channels)
            throw new ArgumentException($"expected [N, {Channels}, H, W], got [{string.Join(", ", x.shape)}]");
        if (Factor == 1) return x.alias();
        if (weight is null)
            return F.interpolate(x, scale_factor: new double[] { Factor, Factor }, mode: InterpolationMode.Bilinear, align_corners: false);
        using var padded = F.pad(x, new long[] { 1, 1, 1, 1 }, PaddingModes.Replicate);
        long p = Factor + BilinearKernel.Padding(Factor);
        return F.conv_transpose2d(padded, weight, null, new long[] { Factor, Factor }, new long[] { p, p });
    }

    /// <summary>
    /// The field of one output pixel of an upsampling by <paramref name="factor"/> after a layer with field
    /// <paramref name="coarse"/>: it mixes two neighbouring coarse units per axis, so its side grows by one coarse jump
    /// (the largest over output pixels), and the jump shrinks by the factor (which must divide it).
    /// </summary>
    public static ReceptiveField Field(ReceptiveField coarse, int factor, string name)
    {
        if (factor < 1 || coarse.Jump % factor != 0)
            throw new ArgumentException($"upsampling '{name}' by {factor} needs a factor dividing the jump {coarse.Jump}");
        int? map = coarse.MapSize * factor;
        // Output pixel 0 sits at u = (0.5 / s − 0.5) coarse units, i.e. start + u · jump input pixels.
        return new ReceptiveField(name, LayerKind.Convolution, coarse.Size + coarse.Jump, coarse.Jump / factor,
            coarse.Start + (0.5 / factor - 0.5) * coarse.Jump, map);
    }
}
