using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>How close one inpainting method's fills are to the truth, over the masked region only.</summary>
/// <param name="Method">The method.</param>
/// <param name="L1">Mean absolute error per masked pixel, on [0, 1] pixels (Pathak et al. print it as a percentage).</param>
/// <param name="L2">Mean squared error per masked pixel, on [0, 1] pixels (ditto).</param>
/// <param name="Psnr">Peak signal-to-noise ratio in dB, 10 log10(1 / MSE) of each image's masked region, averaged over images.</param>
public sealed record InpaintingScore(string Method, double L1, double L2, double Psnr);

/// <summary>
/// The measures of Pathak et al. 2016, table 1 — mean L1 loss, mean L2 loss and PSNR — computed over the masked region,
/// on pixels in [0, 1] (peak 1). L1 and L2 are means over all masked pixels of all images; PSNR is computed per image
/// from that image's masked-region MSE and averaged over images (an image filled exactly is capped at 100 dB).
/// </summary>
public static class InpaintingMetrics
{
    /// <summary>Largest PSNR an image is given (its masked region was filled exactly).</summary>
    public const double MaxPsnr = 100;

    /// <summary>Scores fills against the truth.</summary>
    /// <param name="method">Name of the method.</param>
    /// <param name="predicted">Images with the fills, <c>[N, C, H, W]</c> in [0, 1] (only masked pixels are read).</param>
    /// <param name="truth">The true images, same shape.</param>
    /// <param name="mask">1 on missing pixels, same shape or broadcastable; every image must have one.</param>
    /// <exception cref="ArgumentException">Shapes differ, or an image has no masked pixel.</exception>
    public static InpaintingScore Score(string method, Tensor predicted, Tensor truth, Tensor mask)
    {
        if (!predicted.shape.SequenceEqual(truth.shape) || predicted.dim() < 2)
            throw new ArgumentException($"predicted [{string.Join(", ", predicted.shape)}] and truth [{string.Join(", ", truth.shape)}] must have one shape [N, ...]");
        using var scope = NewDisposeScope();
        long n = predicted.shape[0];
        var m = mask.to(ScalarType.Float64).expand(predicted.shape).reshape(n, -1);
        var diff = (predicted.to(ScalarType.Float64) - truth.to(ScalarType.Float64)).reshape(n, -1);
        var count = m.sum(1);
        if (count.min().ToDouble() <= 0) throw new ArgumentException("every image needs at least one masked pixel");
        double total = count.sum().ToDouble();
        double l1 = diff.abs().mul(m).sum().ToDouble() / total;
        var sq = diff.square().mul(m).sum(1);
        double l2 = sq.sum().ToDouble() / total;
        var mse = sq / count;
        double psnr = mse.log10().mul(-10).clamp_max(MaxPsnr).mean().ToDouble();
        return new InpaintingScore(method, l1, l2, psnr);
    }
}
