using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>A fitted density model and how its fitting went.</summary>
/// <param name="Model">The model.</param>
/// <param name="Training">The trainer's result (trainable models), or null.</param>
/// <param name="Seconds">Wall time of the fit (including bandwidth selection, training).</param>
/// <param name="Checkpoint">The checkpoint that holds it (with its card).</param>
/// <param name="Options">The options it was fitted with (with any value chosen during the fit, e.g. KDE's bandwidth).</param>
public sealed record FittedDensity(IDensityModel Model, TrainingResult? Training, double Seconds, string Checkpoint, object Options);

/// <summary>
/// One density model of the <see cref="DensityModels"/> registry: its name, recipe per budget, which data it takes,
/// how it is fitted and how it is rebuilt from a checkpoint. A new density model is one class implementing this plus
/// one line in <see cref="DensityModels.All"/>.
/// </summary>
public interface IDensityMethod
{
    /// <summary>The name the CLI, the report and model cards use, e.g. <c>ppca</c>.</summary>
    string Name { get; }

    /// <summary>What it is, with its paper.</summary>
    string Description { get; }

    /// <summary>The recipe for a budget; its <see cref="DensityRecipe.Options"/> is this method's options record.</summary>
    DensityRecipe Recipe(RunBudget budget);

    /// <summary>Which data the model with <paramref name="options"/> is fitted to and scored on.</summary>
    DensityDataKind DataKind(object options);

    /// <summary>Fits on <paramref name="data"/> (training examples; validation for bandwidths and best checkpoints) and
    /// writes the checkpoint, with its card, into <see cref="TrainingOptions.OutputDirectory"/>.</summary>
    FittedDensity Fit(DensityData data, DensityRecipe recipe, TrainingOptions training, Device device, TextWriter? log);

    /// <summary>Rebuilds the model from a checkpoint and its card, on <paramref name="device"/>.</summary>
    /// <exception cref="InvalidDataException">The checkpoint does not hold what the card says.</exception>
    IDensityModel Load(string checkpoint, ModelCard card, Device device);
}
