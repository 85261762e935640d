using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// A bottleneck convolutional auto-encoder (the classic "encoder, code, decoder" trained to reproduce its input;
/// Hinton &amp; Salakhutdinov 2006 for the bottleneck, Masci et al. 2011 for the convolutional form): <see cref="ConvEncoder"/>
/// <c>[B, 1, 28, 28]</c> → <c>[B, 2W, 7, 7]</c> → linear to a code of C numbers (the bottleneck, no non-linearity) →
/// linear and ReLU back to <c>[B, 2W, 7, 7]</c> → <see cref="ConvDecoder"/> → <c>[B, 1, 28, 28]</c> in [-1, 1].
/// With a corrupted input and the clean image as target it is the denoising auto-encoder of Vincent et al. 2008
/// (<see cref="AutoEncoderTask"/>); the network is the same.
/// </summary>
public sealed class ConvAutoEncoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvEncoder encoder;
    private readonly nn.Module<Tensor, Tensor> bottleneck, expand;
    private readonly ConvDecoder decoder;
#pragma warning restore IDE1006

    /// <summary>Builds it from validated options.</summary>
    public ConvAutoEncoder(AutoEncoderOptions options) : base(nameof(ConvAutoEncoder))
    {
        options.Validate();
        encoder = new ConvEncoder(options.Width);
        bottleneck = nn.Linear(encoder.FeatureSize, options.CodeSize);
        expand = nn.Sequential(nn.Linear(options.CodeSize, encoder.FeatureSize), nn.ReLU());
        decoder = new ConvDecoder(options.Width);
        RegisterComponents();
    }

    /// <summary>The convolutional encoder (what <c>aperture transfer</c> reuses).</summary>
    public ConvEncoder Encoder => encoder;

    /// <summary>Images <c>[B, 1, 28, 28]</c> in [-1, 1] → codes <c>[B, C]</c>.</summary>
    public Tensor Encode(Tensor images) => bottleneck.forward(encoder.forward(images).flatten(1));

    /// <summary>Codes <c>[B, C]</c> → images <c>[B, 1, 28, 28]</c> in [-1, 1].</summary>
    public Tensor Decode(Tensor codes) =>
        decoder.forward(expand.forward(codes).view(-1, encoder.OutChannels, ConvEncoder.MapSide, ConvEncoder.MapSide));

    /// <summary>Reconstructions <c>[B, 1, 28, 28]</c> of images <c>[B, 1, 28, 28]</c>, both in [-1, 1].</summary>
    public override Tensor forward(Tensor images) => Decode(Encode(images));
}
