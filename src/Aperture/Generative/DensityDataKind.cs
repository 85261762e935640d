namespace Aperture.Generative;

/// <summary>
/// Which data a density model's likelihood is on. Likelihoods on different kinds are not comparable: a density on
/// continuous pixels and a probability of binary pixels measure different things.
/// </summary>
public enum DensityDataKind
{
    /// <summary>
    /// Continuous pixels in [0, 1]: the 8-bit value v plus uniform noise u ~ U[0, 1), divided by 256, i.e.
    /// y = (v + u) / 256. The log-density of y bounds the log-probability of the 8-bit image from below:
    /// log P(v) ≥ E_u[log p(y)] − D·ln 256 (change of variables from [0, 256)^D to [0, 1)^D, then Jensen).
    /// </summary>
    Dequantised,

    /// <summary>
    /// Binary pixels: each pixel is 1 with probability v / 255, drawn once with a fixed seed (the stochastic
    /// binarisation of Burda et al. 2016's MNIST); a Bernoulli model's log-probability of them.
    /// </summary>
    Binarised,
}
