using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>The Parzen-window estimate of one generator.</summary>
/// <param name="Generator">Its name.</param>
/// <param name="Samples">Generated images the window is centred on.</param>
/// <param name="Bandwidth">σ chosen on the validation images.</param>
/// <param name="MeanLogLikelihood">Mean log-likelihood of the test images, nats per image.</param>
/// <param name="StandardError">Its standard error (std over test images / √T).</param>
/// <param name="TestImages">Test images scored.</param>
/// <param name="Scores">Every σ tried and the validation images' mean log-likelihood under it.</param>
public sealed record ParzenResults(string Generator, long Samples, double Bandwidth, double MeanLogLikelihood, double StandardError, long TestImages,
    IReadOnlyList<(double Bandwidth, double MeanLogLikelihood)> Scores);

/// <summary>
/// The Parzen-window log-likelihood of a generator that has no likelihood of its own (Breuleux, Bengio &amp; Vincent 2011;
/// the protocol of Goodfellow et al. 2014, table 1): a Gaussian kernel density (<see cref="GaussianKde"/>, exact) centred
/// on generated samples, σ chosen by the mean log-likelihood of validation images, then the test images' mean
/// log-likelihood with its standard error. Pixels are v / 255 in [0, 1], as in the GAN paper. Known flaws (Theis, van den
/// Oord &amp; Bethge, "A note on the evaluation of generative models", ICLR 2016): in 784 dimensions the estimate stays
/// far from the true log-likelihood even with millions of samples, it ranks models differently from their true
/// likelihood, and a model that merely stores training images (or a k-means of them) scores better than real
/// generators — read it as a number the GAN paper reported, not as a measure of sample quality.
/// </summary>
public static class ParzenWindow
{
    /// <summary>The σ grid: 20 values from 0.05 to 0.5, geometric (the GAN paper's MNIST σ was about 0.2).</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = GaussianKde.Grid(0.05, 0.5, 20);

    /// <summary>Estimates it.</summary>
    /// <param name="generator">The generator's name.</param>
    /// <param name="samples">Generated images, flattened <c>[S, D]</c>.</param>
    /// <param name="validation">Validation images <c>[V, D]</c> (held-out training images) for σ.</param>
    /// <param name="test">Test images <c>[T, D]</c>.</param>
    /// <param name="grid">σ values to try (default <see cref="DefaultGrid"/>).</param>
    /// <exception cref="ArgumentException">Shapes disagree or fewer than two test images.</exception>
    public static ParzenResults Estimate(string generator, Tensor samples, Tensor validation, Tensor test, IReadOnlyList<double>? grid = null)
    {
        if (samples.dim() != 2 || validation.dim() != 2 || test.dim() != 2 || validation.shape[1] != samples.shape[1] || test.shape[1] != samples.shape[1])
            throw new ArgumentException($"samples [S, D], validation [V, D] and test [T, D] must agree; got [{string.Join(", ", samples.shape)}], " +
                $"[{string.Join(", ", validation.shape)}], [{string.Join(", ", test.shape)}]");
        if (test.shape[0] < 2) throw new ArgumentException("the Parzen estimate needs at least 2 test images for its standard error");
        using var kde = new GaussianKde(samples, 1.0);
        var (best, scores) = kde.SelectBandwidth(validation, grid ?? DefaultGrid);
        using var ll = kde.LogLikelihood(test, best);
        double mean = ll.mean().item<double>();
        double se = ll.std().item<double>() / Math.Sqrt(ll.shape[0]);
        return new ParzenResults(generator, samples.shape[0], best, mean, se, test.shape[0], scores);
    }
}
