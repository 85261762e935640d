using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Nn;

/// <summary>
/// The conv body shared by the three detectors: a small VGG-style stack (3x3 convolutions, batch norm, ReLU, 2x2 max
/// pooling) of three stages, total stride 4. The sliding-window detector runs it fully convolutionally over an image
/// pyramid, R-CNN runs it on every warped region, Fast R-CNN once on the whole image: the same layers in all three,
/// so their speeds compare like for like.
/// </summary>
public sealed class Backbone : Module<Tensor, Tensor>
{
    /// <summary>Pixels of input per feature-map cell.</summary>
    public const int Stride = 4;

    /// <summary>Mean subtracted from RGB pixels scaled to [0, 1] before the network (<see cref="Normalize"/>).</summary>
    public const float PixelMean = 0.45f;

    /// <summary>Standard deviation the centred pixels are divided by.</summary>
    public const float PixelStd = 0.25f;

    /// <summary>The stage widths every detector uses: 32, 64, 128.</summary>
    public static IReadOnlyList<int> DefaultWidths { get; } = [32, 64, 128];

    private readonly Sequential _layers;
    private readonly Module<Tensor, Tensor>[] _ordered;

    // Layers in each stage, in order: conv, bn, relu, pool; conv, bn, relu, pool; conv, bn, relu, conv, bn, relu.
    private static readonly int[] StageLayers = [4, 4, 6];

    /// <summary>Creates the backbone.</summary>
    /// <param name="widths">Channels of the three stages (default 32, 64, 128); stage 3 has two convolutions.</param>
    public Backbone(int[]? widths = null) : base(nameof(Backbone))
    {
        widths ??= DefaultWidths.ToArray();
        if (widths.Length != 3 || widths.Any(w => w < 1)) throw new ArgumentException("the backbone has three stages: give three positive widths", nameof(widths));
        Widths = widths;
        _layers = Sequential(
            ("conv1", Conv2d(3, widths[0], 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(widths[0])), ("relu1", ReLU(inplace: true)),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(widths[0], widths[1], 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(widths[1])), ("relu2", ReLU(inplace: true)),
            ("pool2", MaxPool2d(2)),
            ("conv3_1", Conv2d(widths[1], widths[2], 3, padding: 1, bias: false)), ("bn3_1", BatchNorm2d(widths[2])), ("relu3_1", ReLU(inplace: true)),
            ("conv3_2", Conv2d(widths[2], widths[2], 3, padding: 1, bias: false)), ("bn3_2", BatchNorm2d(widths[2])), ("relu3_2", ReLU(inplace: true)));
        _ordered = _layers.children().Cast<Module<Tensor, Tensor>>().ToArray();
        RegisterComponents();
    }

    /// <summary>Channels of the three stages.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Channels of the output feature map.</summary>
    public int OutChannels => Widths[2];

    /// <summary>Leading stages held fixed (<see cref="Freeze"/>): 0 to 3.</summary>
    public int FrozenStages { get; private set; }

    /// <summary>
    /// Holds the first <paramref name="stages"/> stages fixed while the rest trains, as Fast R-CNN fine-tunes a pre-trained
    /// body (section 4.5: conv1 is generic; VGG-16 is fine-tuned from conv3_1 up): their parameters stop taking gradients,
    /// their batch norm keeps the pre-trained statistics (inference mode even in training), and they run without
    /// autograd, so no backward pass goes through them.
    /// </summary>
    public void Freeze(int stages)
    {
        if (stages is < 0 or > 3) throw new ArgumentOutOfRangeException(nameof(stages), stages, "the backbone has three stages");
        FrozenStages = stages;
        int frozen = FrozenLayers;
        for (int i = 0; i < _ordered.Length; i++)
            foreach (var p in _ordered[i].parameters()) p.requires_grad_(i >= frozen);
        train(training);
    }

    private int FrozenLayers => StageLayers.Take(FrozenStages).Sum();

    /// <summary>Sets training mode; frozen stages stay in inference mode (their batch norm uses the pre-trained statistics).</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on) foreach (var m in _ordered.Take(FrozenLayers)) m.eval();
    }

    /// <summary>
    /// Feature maps <c>[N, F, H/4, W/4]</c> (float32, stored channels-last: <see cref="ChannelsLast"/>) of normalised
    /// images <c>[N, 3, H, W]</c> (H, W multiples of 4 keep cells aligned).
    /// </summary>
    public override Tensor forward(Tensor x)
    {
        if (FrozenStages == 0) return _layers.forward(ChannelsLast.Of(x));
        var h = ChannelsLast.Of(x);
        int frozen = FrozenLayers;
        using (no_grad())
            for (int i = 0; i < frozen; i++) h = _ordered[i].forward(h);
        for (int i = frozen; i < _ordered.Length; i++) h = _ordered[i].forward(h);
        return h;
    }

    /// <summary>
    /// Turns RGB pixels (<c>uint8 [3, H, W]</c> or <c>[N, 3, H, W]</c>) into the network's float32 input:
    /// (p / 255 − <see cref="PixelMean"/>) / <see cref="PixelStd"/>. Grey images (1 channel) are repeated to 3.
    /// </summary>
    public static Tensor Normalize(Tensor image)
    {
        if (image.dim() is not (3 or 4)) throw new ArgumentException($"expected an image [3, H, W] or a batch [N, 3, H, W], got [{string.Join(", ", image.shape)}]");
        int c = (int)image.dim() - 3;
        var x = image;
        if (x.shape[c] == 1) x = c == 0 ? x.expand(3, -1, -1) : x.expand(-1, 3, -1, -1);
        else if (x.shape[c] != 3) throw new ArgumentException($"expected 1 or 3 colour channels, got {x.shape[c]}");
        var f = x.to_type(ScalarType.Float32);
        if (image.dtype == ScalarType.Byte) f = f.div(255);
        return f.sub(PixelMean).div_(PixelStd);
    }
}
