using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Segmentation.Dilated;

/// <summary>
/// The basic context module of Yu &amp; Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016:
/// C-channel 3x3 convolutions with exponentially growing dilation (1, 1, 2, 4, 8, 16, 1; 'same' zero padding), each
/// followed by ReLU, then a 1x1 convolution, on C = K class-score maps: <c>[N, K, h, w]</c> → <c>[N, K, h, w]</c>. Its
/// field grows 3, 5, 9, 17, 33, 65, 67, 67 (the paper's Table 1) with no loss of resolution. Every layer starts as the
/// identity (centre tap 1 on channel c → c, everything else 0: <see cref="IdentityInit"/>), the paper's initialisation,
/// so the untrained module passes its input through.
/// <para>
/// Deliberate difference: the ReLUs would cut the negative scores a front end emits, so the paper's identity start is
/// the identity only on non-negative input. The module therefore first subtracts, at each pixel, the smallest of the K
/// scores (parameter-free). Softmax is unchanged by adding a constant across classes at a pixel, so the shifted scores
/// carry exactly the front end's probabilities, and the untrained module outputs them unchanged: the combined network
/// starts with exactly the front end's predictions and loss (tested).
/// </para>
/// </summary>
public sealed class ContextModule : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ModuleList<Conv2d> layers;
    private readonly Conv2d final;
#pragma warning restore IDE1006

    /// <summary>Creates the module.</summary>
    /// <param name="channels">C, the number of score maps (K).</param>
    /// <param name="dilations">Dilations of the 3x3 layers (the basic module: 1, 1, 2, 4, 8, 16, 1).</param>
    public ContextModule(int channels, IReadOnlyList<int>? dilations = null) : base(nameof(ContextModule))
    {
        dilations ??= new[] { 1, 1, 2, 4, 8, 16, 1 };
        if (channels < 1) throw new ArgumentException($"context module: channels {channels} must be positive");
        if (dilations.Count < 1 || dilations.Any(d => d < 1)) throw new ArgumentException($"context module: dilations [{string.Join(", ", dilations)}] must be ≥ 1");
        Channels = channels;
        Dilations = dilations.ToArray();
        layers = new ModuleList<Conv2d>();
        foreach (int d in Dilations)
        {
            var conv = Conv2d(channels, channels, 3, padding: d, dilation: d);
            IdentityInit.Apply(conv);
            layers.Add(conv);
        }
        final = Conv2d(channels, channels, 1);
        IdentityInit.Apply(final);
        RegisterComponents();
    }

    /// <summary>C, channels in and out.</summary>
    public int Channels { get; }

    /// <summary>Dilations of the 3x3 layers.</summary>
    public IReadOnlyList<int> Dilations { get; }

    /// <summary>Aggregated scores <c>[N, C, h, w]</c> of scores <c>[N, C, h, w]</c>.</summary>
    public override Tensor forward(Tensor scores)
    {
        if (scores.dim() != 4 || scores.shape[1] != Channels)
            throw new ArgumentException($"context module expects scores [N, {Channels}, h, w], got [{string.Join(", ", scores.shape)}]");
        using var scope = NewDisposeScope();
        var x = scores.sub(scores.amin(new long[] { 1 }, keepdim: true));
        foreach (var conv in layers) x = F.relu(conv.forward(x));
        return final.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>The grid geometry of the module's layers (ctx_conv1 …, ctx_final), in units of its input map.</summary>
    public IReadOnlyList<LayerGeometry> Geometry =>
        Dilations.Select((d, i) => LayerGeometry.Conv($"ctx_conv{i + 1}", 3, padding: d, dilation: d))
            .Append(LayerGeometry.Conv("ctx_final", 1)).ToList();
}
