using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Nn;

/// <summary>
/// Upsample-then-convolve (Odena, Dumoulin &amp; Olah 2016, "Deconvolution and checkerboard artifacts"): resize
/// <c>[N, C, H, W]</c> by s, then a learned 3x3 convolution C → C with padding 1, to <c>[N, C, sH, sW]</c>. The resize is
/// bilinear (Odena et al. prefer nearest neighbour) and the convolution is initialised to the identity (centre tap 1 on
/// channel c → c, bias 0), so before training the layer equals bilinear upsampling, like FCN's bilinear-initialised
/// transposed convolution it replaces.
/// </summary>
public sealed class ResizeConvolution : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Conv2d conv;
#pragma warning restore IDE1006

    /// <summary>Creates the layer.</summary>
    /// <param name="channels">C, channels in and out.</param>
    /// <param name="factor">s ≥ 1.</param>
    public ResizeConvolution(int channels, int factor) : base(nameof(ResizeConvolution))
    {
        if (channels < 1) throw new ArgumentException($"channels {channels} must be positive");
        if (factor < 1) throw new ArgumentException($"upsampling factor {factor} must be ≥ 1");
        Channels = channels;
        Factor = factor;
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        IdentityInit.Apply(conv);
        RegisterComponents();
    }

    /// <summary>C, channels in and out.</summary>
    public int Channels { get; }

    /// <summary>The upsampling factor s.</summary>
    public int Factor { get; }

    /// <summary>The 3x3 convolution after the resize.</summary>
    public Conv2d Convolution => conv;

    /// <summary>Upsamples <c>[N, C, H, W]</c> to <c>[N, C, sH, sW]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var up = F.interpolate(x, scale_factor: new double[] { Factor, Factor }, mode: InterpolationMode.Bilinear, align_corners: false);
        return conv.forward(up);
    }

    /// <summary>The field after this layer, given the field <paramref name="coarse"/> of its input.</summary>
    public static ReceptiveField Field(ReceptiveField coarse, int factor, string name) =>
        BilinearUpsample.Field(coarse, factor, name + "_resize").Then(LayerGeometry.Conv(name, 3, padding: 1));
}
