using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// The masks of the context encoder (Pathak et al. 2016, section 3.3): 1 marks a missing pixel, 0 the context.
/// Centre: the central square of half the image side (14x14 of 28x28, as 64x64 of the paper's 128x128). Random block:
/// squares of side 5 to 10 at random places, added until a quarter of the image is covered (the paper: "a number of
/// smaller possibly overlapping masks, covering up to 1/4 of the image"). Shapes are <c>float32 [B, 1, 28, 28]</c>.
/// </summary>
public static class InpaintingMask
{
    /// <summary>Image side.</summary>
    public const int Side = 28;

    /// <summary>Side of the centre square.</summary>
    public const int CentreSide = 14;

    /// <summary>Fraction of the image the random blocks cover (at least).</summary>
    public const double BlockCoverage = 0.25;

    /// <summary>Masks for <paramref name="count"/> images, on the CPU.</summary>
    /// <param name="kind">Centre or random blocks.</param>
    /// <param name="count">B.</param>
    /// <param name="generator">Where random blocks are drawn from (null: libtorch's global generator, which the trainer
    /// reseeds every epoch).</param>
    public static Tensor Draw(MaskKind kind, int count, Generator? generator = null) => kind switch
    {
        MaskKind.Centre => Centre(count),
        MaskKind.RandomBlock => RandomBlocks(count, generator),
        _ => throw new ArgumentException($"unknown mask kind {kind}"),
    };

    /// <summary>The centre square for <paramref name="count"/> images.</summary>
    public static Tensor Centre(int count)
    {
        var mask = zeros(count, 1, Side, Side);
        int start = (Side - CentreSide) / 2;
        mask[.., .., TensorIndex.Slice(start, start + CentreSide), TensorIndex.Slice(start, start + CentreSide)] = 1;
        return mask;
    }

    /// <summary>Random blocks for <paramref name="count"/> images.</summary>
    public static Tensor RandomBlocks(int count, Generator? generator = null)
    {
        const int maxBlocks = 16;
        // One draw of every number that may be needed, so the generator advances the same whatever the blocks cover.
        using var draws = rand([count, maxBlocks, 3], generator: generator);
        var u = draws.data<float>().ToArray();
        var mask = new float[count * Side * Side];
        int need = (int)Math.Ceiling(BlockCoverage * Side * Side);
        for (int i = 0; i < count; i++)
        {
            int covered = 0;
            for (int b = 0; b < maxBlocks && covered < need; b++)
            {
                int o = (i * maxBlocks + b) * 3;
                int side = 5 + (int)(u[o] * 6);                       // 5..10
                int y0 = (int)(u[o + 1] * (Side - side + 1)), x0 = (int)(u[o + 2] * (Side - side + 1));
                for (int y = y0; y < y0 + side; y++)
                    for (int x = x0; x < x0 + side; x++)
                    {
                        ref float m = ref mask[i * Side * Side + y * Side + x];
                        if (m == 0) { m = 1; covered++; }
                    }
            }
        }
        return tensor(mask, [count, 1, Side, Side]);
    }
}
