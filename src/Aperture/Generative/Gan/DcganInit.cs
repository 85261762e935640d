using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// DCGAN's initialisation (Radford et al. 2016, section 4): every convolution, transposed convolution and linear
/// weight from N(0, 0.02); batch-norm scales from N(1, 0.02); all biases 0. Deliberate difference: a conditional
/// GAN's label embeddings keep nn.Embedding's N(0, 1) initialisation, so that the label starts as loud as z ~ N(0, I)
/// and an image in [-1, 1] rather than 50 times quieter. Measured so far only over short runs (187 and 312 steps): with
/// either initialisation the cGAN had not yet learnt to use its label (samples classified as their conditioning class
/// at chance, about 10 %); longer runs are needed to see when conditioning appears.
/// </summary>
public static class DcganInit
{
    /// <summary>Standard deviation of the weights.</summary>
    public const double Std = 0.02;

    /// <summary>Initialises every sub-module of <paramref name="module"/> in place, drawing from libtorch's generator.</summary>
    public static void Apply(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case Conv2d c: nn.init.normal_(c.weight, 0, Std); if (c.bias is { } cb) nn.init.zeros_(cb); break;
                case ConvTranspose2d t: nn.init.normal_(t.weight, 0, Std); if (t.bias is { } tb) nn.init.zeros_(tb); break;
                case Linear l: nn.init.normal_(l.weight, 0, Std); if (l.bias is { } lb) nn.init.zeros_(lb); break;
                case Embedding e: nn.init.normal_(e.weight, 0, 1); break;
                case BatchNorm2d b: nn.init.normal_(b.weight, 1, Std); nn.init.zeros_(b.bias); break;
                case BatchNorm1d b: nn.init.normal_(b.weight, 1, Std); nn.init.zeros_(b.bias); break;
            }
        }
    }
}
