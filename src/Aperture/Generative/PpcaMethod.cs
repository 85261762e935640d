using System.Diagnostics;
using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>Probabilistic PCA in the registry: closed-form fit, no training loop.</summary>
public sealed class PpcaMethod : IDensityMethod
{
    /// <inheritdoc/>
    public string Name => ProbabilisticPca.Id;

    /// <inheritdoc/>
    public string Description => "probabilistic PCA, closed-form maximum likelihood (Tipping & Bishop 1999)";

    /// <inheritdoc/>
    public DensityRecipe Recipe(RunBudget budget) => new(1, 1, 1, new PpcaOptions());

    /// <inheritdoc/>
    public DensityDataKind DataKind(object options) => DensityDataKind.Dequantised;

    /// <inheritdoc/>
    public FittedDensity Fit(DensityData data, DensityRecipe recipe, TrainingOptions training, Device device, TextWriter? log)
    {
        var options = (PpcaOptions)recipe.Options;
        options.Validate();
        var clock = Stopwatch.StartNew();
        var model = new ProbabilisticPca(data.Dimension, options.Components, data.Kind).Fit(data.Train);
        double seconds = clock.Elapsed.TotalSeconds;
        log?.WriteLine($"[ppca] q = {options.Components}: sigma^2 = {model.NoiseVariance:G4}, fitted in {seconds:F2} s");
        string path = DensityModels.Save(model, DensityModels.Card(Name, options), training.OutputDirectory);
        return new FittedDensity(model, null, seconds, path, options);
    }

    /// <inheritdoc/>
    public IDensityModel Load(string checkpoint, ModelCard card, Device device)
    {
        var options = card.SettingsAs<PpcaOptions>();
        options.Validate();
        var model = new ProbabilisticPca(DensityData.ImageDimension, options.Components);
        Checkpoint.LoadModule(checkpoint, model);
        return model;
    }
}
