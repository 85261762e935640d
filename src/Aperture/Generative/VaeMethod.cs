using Aperture.Core;

namespace Aperture.Generative;

/// <summary>The VAE (and, with <c>train_samples</c> &gt; 1, the IWAE) in the registry.</summary>
public sealed class VaeMethod : TrainableDensityMethod<VaeOptions>
{
    /// <inheritdoc/>
    public override string Name => VariationalAutoencoder.Id;

    /// <inheritdoc/>
    public override string Description => "variational auto-encoder, ELBO or IWAE bound, importance-weighted log p(x) (Kingma & Welling 2014; Rezende et al. 2014; Burda et al. 2016)";

    /// <inheritdoc/>
    public override DensityRecipe Recipe(RunBudget budget) => budget switch
    {
        RunBudget.Quick => new(2, 128, 1e-3, new VaeOptions { EvalSamples = 100 }),
        RunBudget.Report => new(20, 128, 1e-3, new VaeOptions { EvalSamples = 1000 }),
        _ => new(30, 128, 1e-3, new VaeOptions()),
    };

    /// <inheritdoc/>
    protected override DecoderKind Decoder(VaeOptions options) => options.Decoder;

    /// <inheritdoc/>
    protected override ITrainableDensity Create(int dimension, VaeOptions options) => new VariationalAutoencoder(dimension, options);
}
