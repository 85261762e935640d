using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Segmentation.Dilated;

/// <summary>
/// The context module of Yu &amp; Koltun, "Multi-scale context aggregation by dilated convolutions", ICLR 2016: 3x3
/// convolutions with exponentially growing dilation (1, 1, 2, 4, 8, 16, 1; 'same' zero padding), each followed by ReLU,
/// then a 1x1 convolution back to C channels, on C = K class-score maps: <c>[N, K, h, w]</c> → <c>[N, K, h, w]</c>. Its
/// field grows 3, 5, 9, 17, 33, 65, 67, 67 (the paper's Table 1) with no loss of resolution. The basic module keeps C
/// channels in every layer; the large one widens them to 2C, 2C, 4C, 8C, 16C, 32C, 32C (Table 1's second row). Every
/// layer starts as the identity (<see cref="IdentityInit"/>: the paper's Eq. 4 for the basic module, Eq. 5 with
/// σ = C / (1000 c_out) noise for the widened layers of the large one), so the untrained module passes its input through
/// (exactly for the basic module, up to that noise for the large one).
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
    /// <param name="dilations">Dilations of the 3x3 layers (the paper's: 1, 1, 2, 4, 8, 16, 1).</param>
    /// <param name="widths">Each 3x3 layer's output channels as a multiple of C (null or empty: all 1, the basic module; the
    /// paper's large module: 2, 2, 4, 8, 16, 32, 32).</param>
    public ContextModule(int channels, IReadOnlyList<int>? dilations = null, IReadOnlyList<int>? widths = null) : base(nameof(ContextModule))
    {
        dilations ??= new[] { 1, 1, 2, 4, 8, 16, 1 };
        if (widths is null || widths.Count == 0) widths = Enumerable.Repeat(1, dilations.Count).ToArray();
        if (channels < 1) throw new ArgumentException($"context module: channels {channels} must be positive");
        if (dilations.Count < 1 || dilations.Any(d => d < 1)) throw new ArgumentException($"context module: dilations [{string.Join(", ", dilations)}] must be ≥ 1");
        if (widths.Count != dilations.Count || widths.Any(m => m < 1))
            throw new ArgumentException($"context module: widths [{string.Join(", ", widths)}] must be one multiple ≥ 1 per dilation ({dilations.Count})");
        Channels = channels;
        Dilations = dilations.ToArray();
        Widths = widths.ToArray();
        layers = new ModuleList<Conv2d>();
        int c = channels;
        foreach (var (d, m) in Dilations.Zip(Widths))
        {
            var conv = Conv2d(c, m * channels, 3, padding: d, dilation: d);
            Identity(conv);
            layers.Add(conv);
            c = m * channels;
        }
        final = Conv2d(c, channels, 1);
        Identity(final);
        RegisterComponents();
    }

    /// <summary>Eq. 4 between C-wide layers; Eq. 5 with noise where copies of the C channels need telling apart.</summary>
    private void Identity(Conv2d conv)
    {
        long cin = conv.weight!.shape[1], cout = conv.weight.shape[0];
        IdentityInit.Apply(conv, Channels, cin == Channels && cout == Channels ? 0 : 0.001 * Channels / cout);
    }

    /// <summary>C, channels in and out.</summary>
    public int Channels { get; }

    /// <summary>Dilations of the 3x3 layers.</summary>
    public IReadOnlyList<int> Dilations { get; }

    /// <summary>Output channels of the 3x3 layers, as multiples of C.</summary>
    public IReadOnlyList<int> Widths { get; }

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
