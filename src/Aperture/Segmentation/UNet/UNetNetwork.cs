using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Segmentation.UNet;

/// <summary>
/// U-Net (Ronneberger, Fischer &amp; Brox, "U-Net: Convolutional Networks for Biomedical Image Segmentation", MICCAI
/// 2015): a contracting path of stages of two 3x3 convolutions + ReLU followed by 2x2 max pooling (channels doubling at
/// each stage), and an expansive path that at each level up-samples with a 2x2 transposed convolution of stride 2
/// (halving the channels), concatenates the contracting path's map of the same level (the skip connection) and applies
/// two 3x3 convolutions + ReLU; a final 1x1 convolution gives the K class scores. Input images <c>[N, C, H, W]</c>
/// with H and W multiples of 2^depth (<see cref="InputMultiple"/>) to scores <c>[N, K, H, W]</c>.
/// <para>
/// Deliberate differences: the convolutions are padded ("same"), so the output has the input's size and no cropping of
/// the skip maps is needed; the paper uses unpadded ("valid") convolutions, whose output is 184 px smaller than the input
/// at depth 4, with the overlap-tile strategy (mirror-extended inputs) to segment large images. Aperture's
/// sliding-window inference (<see cref="SegmentationInference"/>) plays that role with reflection padding and overlapping
/// tiles. Batch normalisation is optional (<see cref="UNetOptions.BatchNorm"/>, on by default), and the paper's
/// per-pixel border weight map is not used.
/// </para>
/// </summary>
public sealed class UNetNetwork : nn.Module<Tensor, Tensor>, ISegmentationNetwork
{
    private readonly ModuleList<Sequential> _down, _up;
    private readonly ModuleList<ConvTranspose2d> _upsample;
    private readonly Sequential _bottom;
    private readonly Conv2d _score;
    private readonly UNetOptions _options;

    /// <summary>Builds a U-Net.</summary>
    /// <param name="classes">Output classes K, background included.</param>
    /// <param name="options">Depth, width, normalisation, dropout.</param>
    /// <param name="inChannels">Input channels C (3 for RGB).</param>
    public UNetNetwork(int classes, UNetOptions options, int inChannels = 3) : base("unet")
    {
        options.Validate();
        if (classes < 2) throw new ArgumentException($"U-Net needs at least 2 classes (background and one), got {classes}");
        _options = options;
        Classes = classes;
        int w = options.BaseWidth;
        _down = new ModuleList<Sequential>();
        _up = new ModuleList<Sequential>();
        _upsample = new ModuleList<ConvTranspose2d>();
        int c = inChannels;
        for (int level = 0; level < options.Depth; level++)
        {
            _down.Add(Block(c, w << level));
            c = w << level;
        }
        _bottom = Block(c, w << options.Depth, options.Dropout);
        for (int level = options.Depth - 1; level >= 0; level--)
        {
            _upsample.Add(nn.ConvTranspose2d(w << (level + 1), w << level, 2, stride: 2));
            _up.Add(Block(2 * (w << level), w << level));
        }
        _score = nn.Conv2d(w, classes, 1);
        RegisterComponents();
    }

    /// <summary>Output classes K, background included.</summary>
    public int Classes { get; }

    /// <inheritdoc/>
    public int InputMultiple => 1 << _options.Depth;

    private Sequential Block(int input, int output, double dropout = 0)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < 2; i++)
        {
            layers.Add(($"conv{i + 1}", nn.Conv2d(i == 0 ? input : output, output, 3, padding: 1, bias: !_options.BatchNorm)));
            if (_options.BatchNorm) layers.Add(($"bn{i + 1}", nn.BatchNorm2d(output)));
            layers.Add(($"relu{i + 1}", nn.ReLU(inplace: true)));
        }
        if (dropout > 0) layers.Add(("dropout", nn.Dropout(dropout)));
        return nn.Sequential(layers);
    }

    /// <summary>Scores <c>[N, K, H, W]</c> of images <c>[N, C, H, W]</c> (H, W multiples of <see cref="InputMultiple"/>).</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.shape[2] % InputMultiple != 0 || x.shape[3] % InputMultiple != 0)
            throw new ArgumentException($"U-Net of depth {_options.Depth} needs sides that are multiples of {InputMultiple}, got {x.shape[2]}x{x.shape[3]} (SegmentationInference pads any size)");
        using var scope = NewDisposeScope();
        x = ChannelsLast.Of(x);
        var skips = new List<Tensor>();
        foreach (var stage in _down)
        {
            x = stage.forward(x);
            skips.Add(x);
            x = nn.functional.max_pool2d(x, 2);
        }
        x = _bottom.forward(x);
        for (int i = 0; i < _up.Count; i++)
        {
            x = TransposedConv2x2.Apply(x, _upsample[i].weight!, _upsample[i].bias);
            x = _up[i].forward(cat([skips[^(i + 1)], x], 1));
        }
        return _score.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The field of one output score along the deepest path (down to the bottom stage and back up). Each 3x3 convolution
    /// at a level with jump j adds 2j, each 2x2 pool adds j and doubles j; a 2x2 stride-2 transposed convolution maps every
    /// output to one input, so it adds nothing and halves j. Depth 3: 68 px at the bottom, 96 px at the output; the paper's
    /// depth 4: 140 and 204 (its valid convolutions give the same field).
    /// </summary>
    public ReceptiveField OutputField()
    {
        var layers = new List<LayerGeometry>();
        for (int level = 0; level < _options.Depth; level++)
        {
            layers.Add(LayerGeometry.Conv($"down{level}_conv1", 3, padding: 1));
            layers.Add(LayerGeometry.Conv($"down{level}_conv2", 3, padding: 1));
            layers.Add(LayerGeometry.MaxPool($"pool{level}", 2));
        }
        layers.Add(LayerGeometry.Conv("bottom_conv1", 3, padding: 1));
        layers.Add(LayerGeometry.Conv("bottom_conv2", 3, padding: 1));
        var rf = ReceptiveField.Of(layers)[^1];
        int size = rf.Size, jump = rf.Jump;
        for (int level = _options.Depth - 1; level >= 0; level--)
        {
            jump /= 2;                 // the transposed convolution: no growth, half the jump
            size += 2 * 2 * jump;      // two 3x3 convolutions at this level
        }
        return new ReceptiveField("score", LayerKind.Convolution, size, 1, 0);
    }
}
