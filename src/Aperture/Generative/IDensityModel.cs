using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// A fitted density model, in one shape for all (scikit-learn's estimator in spirit): a per-example log-likelihood in
/// nats, samples, and a reconstruction where the model defines one. Examples are rows <c>[N, D]</c> of the model's
/// <see cref="Data"/> kind.
/// </summary>
public interface IDensityModel : IDisposable
{
    /// <summary>The method's registry name, e.g. <c>ppca</c>.</summary>
    string Method { get; }

    /// <summary>Dimension D of the examples.</summary>
    int Dimension { get; }

    /// <summary>Which data the likelihood is on (continuous dequantised pixels, or binary ones).</summary>
    DensityDataKind Data { get; }

    /// <summary>True when the log-likelihood is exact; false when it is an estimate (a bound or a Monte-Carlo average).</summary>
    bool ExactLikelihood { get; }

    /// <summary>The log-likelihood of each example in nats: <c>[N, D]</c> in, <c>float64 [N]</c> out (on the CPU).</summary>
    Tensor LogLikelihood(Tensor x);

    /// <summary>Draws <paramref name="count"/> examples <c>float32 [count, D]</c> with a generator seeded with <paramref name="seed"/>.</summary>
    Tensor Sample(int count, long seed);

    /// <summary>True when <see cref="Reconstruct"/> is defined (PPCA, the VAE).</summary>
    bool CanReconstruct { get; }

    /// <summary>Reconstructs examples <c>[N, D]</c> through the model's latent space, <c>float32 [N, D]</c>.</summary>
    /// <exception cref="NotSupportedException">The model has no latent space to reconstruct through.</exception>
    Tensor Reconstruct(Tensor x);

    /// <summary>What a checkpoint stores of it, by name.</summary>
    IReadOnlyDictionary<string, nn.Module> Modules { get; }
}
