using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// DCGAN's generator (Radford et al. 2016, figure 1) sized for 28x28 images: z (joined with an embedded label when
/// conditional, after Mirza &amp; Osindero 2014) → linear projection to <c>[2W, 7, 7]</c> with batch norm and ReLU →
/// transposed convolution (4x4, stride 2) to <c>[W, 14, 14]</c>, batch norm, ReLU → transposed convolution to
/// <c>[1, 28, 28]</c> → tanh. Differences from the paper: two up-sampling stages instead of four (28 = 7 · 2²) and
/// widths W = 32/64 rather than 128–1024, to train on two CPU cores.
/// </summary>
public sealed class DcganGenerator : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> project;
    private readonly nn.Module<Tensor, Tensor> up;
    private readonly TorchSharp.Modules.Embedding? embed;
    private readonly int _width;

    /// <summary>Builds an initialised generator (<see cref="DcganInit"/>).</summary>
    /// <param name="options">Latent size, width, conditioning.</param>
    /// <param name="classes">Number of classes (used when conditional).</param>
    public DcganGenerator(GanOptions options, int classes) : base(nameof(DcganGenerator))
    {
        options.Validate();
        if (options.Conditional && classes < 2) throw new ArgumentException($"a conditional generator needs at least 2 classes (got {classes})");
        LatentSize = options.LatentSize;
        Classes = options.Conditional ? classes : 0;
        _width = options.Width;
        int w = options.Width, input = options.LatentSize + (options.Conditional ? options.EmbeddingSize : 0);
        embed = options.Conditional ? nn.Embedding(classes, options.EmbeddingSize) : null;
        project = nn.Sequential(nn.Linear(input, 2 * w * 49, hasBias: false), nn.BatchNorm1d(2 * w * 49), nn.ReLU());
        up = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride: 2, padding: 1), nn.Tanh());
        RegisterComponents();
        DcganInit.Apply(this);
    }

    /// <summary>Size of z.</summary>
    public int LatentSize { get; }

    /// <summary>Number of classes it is conditioned on, 0 when unconditional.</summary>
    public int Classes { get; }

    /// <summary>Generates images.</summary>
    /// <param name="z">Latents <c>[B, LatentSize]</c>.</param>
    /// <param name="labels">Class labels <c>int64 [B]</c> when conditional, else null.</param>
    /// <returns>Images <c>[B, 1, 28, 28]</c> in [-1, 1].</returns>
    public override Tensor forward(Tensor z, Tensor? labels)
    {
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"z must be [B, {LatentSize}], got [{string.Join(", ", z.shape)}]");
        if (embed is not null)
        {
            if (labels is null || labels.dim() != 1 || labels.shape[0] != z.shape[0])
                throw new ArgumentException($"a conditional generator needs labels int64 [{z.shape[0]}]");
            z = cat([z, embed.forward(labels)], 1);
        }
        return up.forward(project.forward(z).view(-1, 2 * _width, 7, 7));
    }
}
