using TorchSharp;
using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// The convolutional encoder every feature learner here shares (bottleneck and denoising auto-encoders, the context
/// encoder) and the few-label classifier reuses: two VGG-style stages (<see cref="ConvStage"/>: 3x3 convolution, batch
/// norm, ReLU, 2x2 max pooling), <c>[B, 1, 28, 28]</c> → <c>[B, W, 14, 14]</c> → <c>[B, 2W, 7, 7]</c>. One architecture
/// for all of them, so a transfer comparison compares what was learned, not how big the network is.
/// </summary>
public sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvStage stage1, stage2;
#pragma warning restore IDE1006

    /// <summary>Side of the feature map, 28 / 4.</summary>
    public const int MapSide = 7;

    /// <summary>Builds it.</summary>
    /// <param name="width">W, the first stage's channels (the second has 2W).</param>
    /// <param name="inChannels">Input channels.</param>
    public ConvEncoder(int width, int inChannels = 1) : base(nameof(ConvEncoder))
    {
        if (width < 1) throw new ArgumentException($"encoder width must be >= 1 (got {width})");
        Width = width;
        stage1 = new ConvStage(1, inChannels, width, 1, pool: true);
        stage2 = new ConvStage(2, width, 2 * width, 1, pool: true);
        RegisterComponents();
    }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <summary>Channels of the output map, 2W.</summary>
    public int OutChannels => 2 * Width;

    /// <summary>Numbers in one flattened feature map, 2W · 7 · 7.</summary>
    public int FeatureSize => OutChannels * MapSide * MapSide;

    /// <summary>Images <c>[B, 1, 28, 28]</c> (normalised to [-1, 1]) → feature maps <c>[B, 2W, 7, 7]</c>.</summary>
    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4 || images.shape[2] != 28 || images.shape[3] != 28)
            throw new ArgumentException($"the encoder takes [B, C, 28, 28] images, got [{string.Join(", ", images.shape)}]");
        return stage2.forward(stage1.forward(images));
    }
}
