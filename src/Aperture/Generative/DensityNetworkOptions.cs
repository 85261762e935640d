namespace Aperture.Generative;

/// <summary>Settings of a <see cref="DensityNetwork"/>.</summary>
public sealed record DensityNetworkOptions : Core.IValidatable
{
    /// <summary>Latent dimension L (MacKay's examples use 2).</summary>
    public int Latent { get; init; } = 2;

    /// <summary>Width of the decoder's two hidden layers.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Observation model.</summary>
    public DecoderKind Decoder { get; init; } = DecoderKind.Gaussian;

    /// <summary>Prior samples R per training batch (shared by the batch's examples).</summary>
    public int TrainSamples { get; init; } = 1000;

    /// <summary>Prior samples R of the log-likelihood estimate.</summary>
    public int EvalSamples { get; init; } = 10_000;

    /// <summary>Throws one <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Latent < 1 || Latent > 64) throw new ArgumentException($"latent must be in [1, 64] (got {Latent})");
        if (Hidden < 1 || Hidden > 65536) throw new ArgumentException($"hidden must be in [1, 65536] (got {Hidden})");
        if (TrainSamples < 1 || TrainSamples > 100_000) throw new ArgumentException($"train_samples must be in [1, 100000] (got {TrainSamples})");
        if (EvalSamples < 1 || EvalSamples > 1_000_000) throw new ArgumentException($"eval_samples must be in [1, 1000000] (got {EvalSamples})");
    }
}
