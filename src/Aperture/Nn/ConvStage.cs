using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Nn;

/// <summary>
/// One stage of a VGG-style network (Simonyan &amp; Zisserman 2015): n 3x3 convolutions with 'same' padding, each
/// followed by batch normalisation (optional, Ioffe &amp; Szegedy 2015) and ReLU, then optionally a 2x2 max pooling.
/// The convolutions can be dilated (padding = dilation keeps the size), as in the dilated front end of Yu &amp; Koltun
/// 2016. Layers are named as in VGG: conv{b}_{i}, bn{b}_{i}, relu{b}_{i}, pool{b} for stage b.
/// <c>[N, Cin, H, W]</c> → <c>[N, Cout, H, W]</c>, or <c>[N, Cout, ⌊H/2⌋, ⌊W/2⌋]</c> with pooling.
/// </summary>
public sealed class ConvStage : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Sequential layers;
#pragma warning restore IDE1006

    /// <summary>Creates the stage.</summary>
    /// <param name="index">Stage number b (1-based), used in the layer names.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Channels of every convolution.</param>
    /// <param name="convolutions">n ≥ 1 convolutions.</param>
    /// <param name="pool">End in 2x2 max pooling (stride 2).</param>
    /// <param name="dilation">Dilation d ≥ 1 of the convolutions.</param>
    /// <param name="batchNorm">Batch normalisation after each convolution (then the convolutions have no bias).</param>
    public ConvStage(int index, int inChannels, int outChannels, int convolutions, bool pool, int dilation = 1, bool batchNorm = true)
        : base($"stage{index}")
    {
        if (inChannels < 1 || outChannels < 1) throw new ArgumentException($"stage {index}: channels {inChannels} -> {outChannels} must be positive");
        if (convolutions < 1) throw new ArgumentException($"stage {index}: {convolutions} convolutions, need at least one");
        if (dilation < 1) throw new ArgumentException($"stage {index}: dilation {dilation} must be ≥ 1");
        var list = new List<(string, Module<Tensor, Tensor>)>();
        int c = inChannels;
        for (int i = 1; i <= convolutions; i++)
        {
            list.Add(($"conv{index}_{i}", Conv2d(c, outChannels, 3, padding: dilation, dilation: dilation, bias: !batchNorm)));
            if (batchNorm) list.Add(($"bn{index}_{i}", BatchNorm2d(outChannels)));
            list.Add(($"relu{index}_{i}", ReLU(inplace: true)));
            c = outChannels;
        }
        if (pool) list.Add(($"pool{index}", MaxPool2d(2)));
        layers = Sequential(list);
        Index = index;
        OutChannels = outChannels;
        Pools = pool;
        RegisterComponents();
        Geometry = NetworkLayers.Leaves(layers).Select(LayerGeometry.Of).ToList();
    }

    /// <summary>Stage number b.</summary>
    public int Index { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Whether the stage ends in 2x2 max pooling.</summary>
    public bool Pools { get; }

    /// <summary>The grid geometry of every layer, in order, for <see cref="ReceptiveField"/>.</summary>
    public IReadOnlyList<LayerGeometry> Geometry { get; }

    /// <summary><c>[N, Cin, H, W]</c> → <c>[N, Cout, H, W]</c> (halved with pooling).</summary>
    public override Tensor forward(Tensor x) => layers.forward(x);
}
