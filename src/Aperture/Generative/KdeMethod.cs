using System.Diagnostics;
using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>Gaussian kernel density estimation in the registry: the training examples are the model; the bandwidth
/// is chosen by held-out log-likelihood unless given.</summary>
public sealed class KdeMethod : IDensityMethod
{
    /// <inheritdoc/>
    public string Name => GaussianKde.Id;

    /// <inheritdoc/>
    public string Description => "Gaussian kernel density estimate, exact log-sum-exp, bandwidth by held-out likelihood (Parzen 1962)";

    /// <inheritdoc/>
    public DensityRecipe Recipe(RunBudget budget) => new(1, 1, 1, new KdeOptions { SelectionExamples = budget == RunBudget.Quick ? 300 : 1000 });

    /// <inheritdoc/>
    public DensityDataKind DataKind(object options) => DensityDataKind.Dequantised;

    /// <inheritdoc/>
    public FittedDensity Fit(DensityData data, DensityRecipe recipe, TrainingOptions training, Device device, TextWriter? log)
    {
        var options = (KdeOptions)recipe.Options;
        options.Validate();
        var clock = Stopwatch.StartNew();
        long m = options.TrainExamples > 0 ? Math.Min(options.TrainExamples, data.Train.shape[0]) : data.Train.shape[0];
        using var centres = data.Train.narrow(0, 0, m);
        var kde = new GaussianKde(centres, options.Bandwidth > 0 ? options.Bandwidth : 1.0, data.Kind,
            options.DoublePrecision ? ScalarType.Float64 : ScalarType.Float32);
        double h = options.Bandwidth;
        if (h == 0)
        {
            using var held = data.Validation.narrow(0, 0, Math.Min(options.SelectionExamples, data.Validation.shape[0]));
            var (best, scores) = kde.SelectBandwidth(held, GaussianKde.Grid(options.GridLow, options.GridHigh, options.GridCount));
            h = best;
            log?.WriteLine($"[kde] held-out log-likelihood by bandwidth: {string.Join(", ", scores.Select(s => $"{s.Bandwidth:G3}: {s.MeanLogLikelihood:F0}"))}; chose h = {h:G4}");
            if (h == options.GridLow || h == options.GridHigh)
                log?.WriteLine($"[kde] warning: h = {h:G4} is at the edge of the grid; widen it with --set grid_low=... / grid_high=...");
            kde.Dispose();
            kde = new GaussianKde(centres, h, data.Kind, options.DoublePrecision ? ScalarType.Float64 : ScalarType.Float32);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var chosen = options with { Bandwidth = h, TrainExamples = (int)m };
        string path = DensityModels.Save(kde, DensityModels.Card(Name, chosen), training.OutputDirectory);
        return new FittedDensity(kde, null, seconds, path, chosen);
    }

    /// <inheritdoc/>
    public IDensityModel Load(string checkpoint, ModelCard card, Device device)
    {
        var options = card.SettingsAs<KdeOptions>();
        options.Validate();
        if (options.TrainExamples < 1 || options.Bandwidth <= 0)
            throw new InvalidDataException($"{checkpoint}: the KDE card gives no training-set size or bandwidth");
        var kde = GaussianKde.Empty(options.TrainExamples, DensityData.ImageDimension, DensityDataKind.Dequantised,
            options.DoublePrecision ? ScalarType.Float64 : ScalarType.Float32);
        Checkpoint.LoadModule(checkpoint, kde);
        return kde;
    }
}
