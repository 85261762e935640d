using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Segmentation.VNet;

/// <summary>
/// V-Net (Milletari, Navab &amp; Ahmadi, "V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image
/// Segmentation", 3DV 2016): volumes <c>[N, C, D, H, W]</c> (sides multiples of 2^Depth) to class scores (logits)
/// <c>[N, K, D, H, W]</c>, softmax taken by the loss and the segmenter. Encoder stage l has w_l = BaseWidth·2^l channels
/// and n_l convolutions k×k×k ("same" padding), each followed by PReLU; every stage is residual — its input is added to
/// the output of its convolutions before the last PReLU (the first stage's one-channel input is repeated to w_0
/// channels, as in the paper, or projected by a 1x1x1 convolution when C does not divide w_0). Down-sampling is a
/// 2x2x2 convolution with stride 2 that doubles the channels (no pooling). Decoder stage l up-samples with a 2x2x2
/// transposed convolution of stride 2 to w_l channels, concatenates the encoder's stage-l output (the skip connection,
/// 2·w_l channels in all), and applies n_l residual convolutions; a 1x1x1 convolution gives the K scores.
/// Deliberate differences, all options of <see cref="VNetOptions"/>: normalisation after each convolution (none in the
/// paper), channel dropout in the two deepest levels, any depth, width, kernel and convolution counts.
/// </summary>
public sealed class VNetNetwork : Module<Tensor, Tensor>
{
    private readonly ModuleList<Module<Tensor, Tensor>> _downs = new();
    private readonly ModuleList<ResidualStage> _encoder = new();
    private readonly ModuleList<Module<Tensor, Tensor>> _ups = new();
    private readonly ModuleList<ResidualStage> _decoder = new();
    private readonly Module<Tensor, Tensor>? _inputProjection;
    private readonly Conv3d _head;
    private readonly int _inChannels;
    private readonly int _firstWidth;

    /// <summary>The settings the network was built with.</summary>
    public VNetOptions Options { get; }

    /// <summary>Number of classes K (background included).</summary>
    public int Classes { get; }

    /// <summary>Input sides must be multiples of this: 2^Depth.</summary>
    public int InputMultiple => 1 << Options.Depth;

    /// <summary>Builds the network.</summary>
    /// <param name="options">Architecture (validated).</param>
    /// <param name="inChannels">Input channels C (modalities).</param>
    /// <param name="classes">K, background included (≥ 2).</param>
    /// <exception cref="ArgumentException">A bad option, C &lt; 1 or K &lt; 2.</exception>
    public VNetNetwork(VNetOptions options, int inChannels, int classes) : base(nameof(VNetNetwork))
    {
        options.Validate();
        if (inChannels < 1) throw new ArgumentException($"V-Net: {inChannels} input channels");
        if (classes < 2) throw new ArgumentException($"V-Net: {classes} classes; background plus at least one class are needed");
        Options = options;
        Classes = classes;
        _inChannels = inChannels;
        var w = options.Widths();
        _firstWidth = w[0];
        int depth = options.Depth;
        _encoder.Add(new ResidualStage("enc0", inChannels, w[0], options.ConvsPerStage[0], options, dropout: depth <= 1));
        if (w[0] % inChannels != 0) _inputProjection = Conv3d(inChannels, w[0], 1);
        for (int l = 1; l <= depth; l++)
        {
            _downs.Add(Transition(Conv3d(w[l - 1], w[l], 2, stride: 2), w[l], options));
            _encoder.Add(new ResidualStage($"enc{l}", w[l], w[l], options.ConvsPerStage[l], options, dropout: l >= depth - 1));
        }
        int below = w[depth];
        for (int l = depth - 1; l >= 0; l--)
        {
            _ups.Add(Transition(ConvTranspose3d(below, w[l], 2, stride: 2), w[l], options));
            _decoder.Add(new ResidualStage($"dec{l}", 2 * w[l], 2 * w[l], options.ConvsPerStage[l], options, dropout: l >= depth - 1));
            below = 2 * w[l];
        }
        _head = Conv3d(below, classes, 1);
        RegisterComponents();
    }

    private static Module<Tensor, Tensor> Transition(Module<Tensor, Tensor> conv, int channels, VNetOptions options)
    {
        var layers = new List<Module<Tensor, Tensor>> { conv };
        if (Norm(channels, options) is { } norm) layers.Add(norm);
        layers.Add(PReLU(channels));
        return Sequential(layers);
    }

    internal static Module<Tensor, Tensor>? Norm(int channels, VNetOptions options) => options.Normalization switch
    {
        VolumeNormalization.Batch => BatchNorm3d(channels),
        VolumeNormalization.Instance => InstanceNorm3d(channels, affine: true),
        _ => null,
    };

    /// <summary>Class scores <c>[N, K, D, H, W]</c> for volumes <c>[N, C, D, H, W]</c>.</summary>
    /// <exception cref="ArgumentException">Not 5-D, the wrong channel count, or a side not a multiple of 2^Depth.</exception>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 5 || x.shape[1] != _inChannels)
            throw new ArgumentException($"V-Net takes [N, {_inChannels}, D, H, W], got [{string.Join(", ", x.shape)}]");
        for (int a = 2; a < 5; a++)
            if (x.shape[a] % InputMultiple != 0)
                throw new ArgumentException($"V-Net: side {x.shape[a]} of [{string.Join(", ", x.shape)}] is not a multiple of 2^depth = {InputMultiple} (pad it, or use the sliding-window segmenter, which pads)");
        using var scope = NewDisposeScope();
        x = ChannelsLast.Of(x);
        var residual = _inputProjection is not null ? _inputProjection.call(x) : x.repeat(1, _firstWidth / _inChannels, 1, 1, 1);
        var h = _encoder[0].Forward(x, residual);
        var skips = new List<Tensor> { h };
        for (int l = 1; l < _encoder.Count; l++)
        {
            var down = _downs[l - 1].call(h);
            h = _encoder[l].Forward(down, down);
            skips.Add(h);
        }
        for (int i = 0; i < _decoder.Count; i++)
        {
            int level = _decoder.Count - 1 - i;
            var joined = cat(new[] { _ups[i].call(h), skips[level] }, 1);
            h = _decoder[i].Forward(joined, joined);
        }
        return _head.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One residual stage: n convolutions k×k×k (each with optional normalisation, PReLU after all but the last), the
    /// residual added, then PReLU; optional Dropout3d at its entry.
    /// </summary>
    internal sealed class ResidualStage : Module<Tensor, Tensor>
    {
        private readonly Sequential _body;
        private readonly PReLU _out;
        private readonly Module<Tensor, Tensor>? _dropout;

        public ResidualStage(string name, int inChannels, int channels, int convs, VNetOptions options, bool dropout) : base(name)
        {
            var layers = new List<Module<Tensor, Tensor>>();
            int c = inChannels;
            for (int i = 0; i < convs; i++)
            {
                layers.Add(Conv3d(c, channels, options.KernelSize, padding: options.KernelSize / 2));
                if (Norm(channels, options) is { } norm) layers.Add(norm);
                if (i < convs - 1) layers.Add(PReLU(channels));
                c = channels;
            }
            _body = Sequential(layers);
            _out = PReLU(channels);
            if (dropout && options.Dropout > 0) _dropout = Dropout3d(options.Dropout);
            RegisterComponents();
        }

        /// <summary>PReLU(body(x) + residual).</summary>
        public Tensor Forward(Tensor x, Tensor residual)
        {
            var input = _dropout is null ? x : _dropout.call(x);
            return _out.call(_body.call(input).add(residual));
        }

        public override Tensor forward(Tensor x) => Forward(x, x);
    }
}
