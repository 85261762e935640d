using Aperture.Core;

namespace Aperture.Generative;

/// <summary>MacKay's density network in the registry.</summary>
public sealed class DensityNetworkMethod : TrainableDensityMethod<DensityNetworkOptions>
{
    /// <inheritdoc/>
    public override string Name => DensityNetwork.Id;

    /// <inheritdoc/>
    public override string Description => "density network: decoder with a latent prior, Monte-Carlo log p(x) over R prior samples, maximised (MacKay 1995)";

    /// <inheritdoc/>
    public override DensityRecipe Recipe(RunBudget budget) => budget switch
    {
        RunBudget.Quick => new(2, 256, 1e-3, new DensityNetworkOptions { TrainSamples = 256, EvalSamples = 2000 }),
        RunBudget.Report => new(10, 256, 1e-3, new DensityNetworkOptions()),
        _ => new(15, 256, 1e-3, new DensityNetworkOptions()),
    };

    /// <inheritdoc/>
    protected override DecoderKind Decoder(DensityNetworkOptions options) => options.Decoder;

    /// <inheritdoc/>
    protected override ITrainableDensity Create(int dimension, DensityNetworkOptions options) => new DensityNetwork(dimension, options);
}
