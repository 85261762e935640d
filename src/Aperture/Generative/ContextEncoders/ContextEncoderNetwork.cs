using TorchSharp;
using Aperture.Generative.AutoEncoders;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// The context encoder's network (Pathak, Krähenbühl, Donahue, Darrell &amp; Efros, "Context Encoders: Feature Learning
/// by Inpainting", CVPR 2016, figure 2): an encoder (<see cref="ConvEncoder"/>, <c>[B, 1, 28, 28]</c> → <c>[B, 2W, 7, 7]</c>),
/// the channel-wise fully connected layer (<see cref="ChannelWiseFullyConnected"/>) followed by a stride-1 1x1 convolution
/// that mixes channels, and a decoder of up-convolutions (<see cref="ConvDecoder"/>) to a full image in [-1, 1]. The
/// input is the image with its masked region filled with the mean pixel; only the masked region of the output is used.
/// </summary>
public sealed class ContextEncoderNetwork : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvEncoder encoder;
    private readonly ChannelWiseFullyConnected channelwise;
    private readonly nn.Module<Tensor, Tensor> mix;
    private readonly ConvDecoder decoder;
#pragma warning restore IDE1006

    /// <summary>Builds it from validated options.</summary>
    public ContextEncoderNetwork(ContextEncoderOptions options) : base(nameof(ContextEncoderNetwork))
    {
        options.Validate();
        encoder = new ConvEncoder(options.Width);
        channelwise = new ChannelWiseFullyConnected(encoder.OutChannels, ConvEncoder.MapSide * ConvEncoder.MapSide);
        mix = nn.Sequential(nn.Conv2d(encoder.OutChannels, encoder.OutChannels, 1), nn.ReLU());
        decoder = new ConvDecoder(options.Width);
        RegisterComponents();
    }

    /// <summary>The encoder (what <c>aperture transfer</c> reuses).</summary>
    public ConvEncoder Encoder => encoder;

    /// <summary>Masked images <c>[B, 1, 28, 28]</c> in [-1, 1] → predicted images <c>[B, 1, 28, 28]</c> in [-1, 1].</summary>
    public override Tensor forward(Tensor masked) => decoder.forward(mix.forward(channelwise.forward(encoder.forward(masked))));

    /// <summary>The value masked pixels are given in the network's [-1, 1] range: the Fashion-MNIST mean pixel (the
    /// paper fills the region with the mean).</summary>
    public static float FillValue => 2 * Data.FashionMnist.Mean - 1;

    /// <summary>Images with the masked pixels replaced by <see cref="FillValue"/>: <c>x (1 − m) + fill · m</c>.</summary>
    public static Tensor Hide(Tensor images, Tensor mask) => images * (1 - mask) + mask * FillValue;

    /// <summary>The context kept and the prediction pasted into the hole: <c>x (1 − m) + y m</c>.</summary>
    public static Tensor Paste(Tensor images, Tensor predicted, Tensor mask) => images * (1 - mask) + predicted * mask;
}
