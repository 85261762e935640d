using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// The up-sampling half of the auto-encoders and the context encoder: <c>[B, 2W, 7, 7]</c> → 4x4 transposed
/// convolution, stride 2 → <c>[B, W, 14, 14]</c>, batch norm, ReLU → 4x4 transposed convolution, stride 2 →
/// <c>[B, 1, 28, 28]</c> → tanh, i.e. images in [-1, 1]. The same shape as the DCGAN generator's up-sampling
/// (<see cref="Gan.DcganGenerator"/>); <see cref="PixelDecoder"/>, the density models' decoder, is fully connected and
/// does not fit a convolutional code.
/// </summary>
public sealed class ConvDecoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly nn.Module<Tensor, Tensor> up;
#pragma warning restore IDE1006

    /// <summary>Builds it.</summary>
    /// <param name="width">W (the input has 2W channels).</param>
    public ConvDecoder(int width) : base(nameof(ConvDecoder))
    {
        if (width < 1) throw new ArgumentException($"decoder width must be >= 1 (got {width})");
        up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride: 2, padding: 1), nn.Tanh());
        RegisterComponents();
    }

    /// <summary>Feature maps <c>[B, 2W, 7, 7]</c> → images <c>[B, 1, 28, 28]</c> in [-1, 1].</summary>
    public override Tensor forward(Tensor maps) => up.forward(maps);
}
