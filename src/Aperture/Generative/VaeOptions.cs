namespace Aperture.Generative;

/// <summary>Settings of a <see cref="VariationalAutoencoder"/> (defaults near Kingma &amp; Welling's MNIST models).</summary>
public sealed record VaeOptions : Core.IValidatable
{
    /// <summary>Latent dimension L.</summary>
    public int Latent { get; init; } = 20;

    /// <summary>Width of the two hidden layers of encoder and decoder.</summary>
    public int Hidden { get; init; } = 400;

    /// <summary>Observation model: Gaussian on dequantised pixels, or Bernoulli on binarised ones.</summary>
    public DecoderKind Decoder { get; init; } = DecoderKind.Gaussian;

    /// <summary>Importance samples per example in training: 1 is the VAE's ELBO, k &gt; 1 the IWAE bound.</summary>
    public int TrainSamples { get; init; } = 1;

    /// <summary>Importance samples k of the log-likelihood estimate (Burda et al. use 5,000).</summary>
    public int EvalSamples { get; init; } = 1000;

    /// <summary>Throws one <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Latent < 1 || Latent > 4096) throw new ArgumentException($"latent must be in [1, 4096] (got {Latent})");
        if (Hidden < 1 || Hidden > 65536) throw new ArgumentException($"hidden must be in [1, 65536] (got {Hidden})");
        if (TrainSamples < 1 || TrainSamples > 5000) throw new ArgumentException($"train_samples must be in [1, 5000] (got {TrainSamples})");
        if (EvalSamples < 1 || EvalSamples > 100_000) throw new ArgumentException($"eval_samples must be in [1, 100000] (got {EvalSamples})");
    }
}
