using System.Diagnostics;
using Aperture.Core;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// What the VAE and the density network share in the registry: build the network from the options record, train it
/// with the <see cref="Trainer{TBatch}"/> on <see cref="DensityTask"/> (Adam, the recipe's epochs, the best epoch by
/// the held-out objective), rebuild it from the card.
/// </summary>
/// <typeparam name="TOptions">The options record.</typeparam>
public abstract class TrainableDensityMethod<TOptions> : IDensityMethod where TOptions : class
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <inheritdoc/>
    public abstract DensityRecipe Recipe(RunBudget budget);

    /// <inheritdoc/>
    public DensityDataKind DataKind(object options) => Decoder((TOptions)options) == DecoderKind.Bernoulli ? DensityDataKind.Binarised : DensityDataKind.Dequantised;

    /// <summary>The decoder of <paramref name="options"/>.</summary>
    protected abstract DecoderKind Decoder(TOptions options);

    /// <summary>A fresh network for D-dimensional examples (validates the options).</summary>
    protected abstract ITrainableDensity Create(int dimension, TOptions options);

    /// <inheritdoc/>
    public FittedDensity Fit(DensityData data, DensityRecipe recipe, TrainingOptions training, Device device, TextWriter? log)
    {
        var options = (TOptions)recipe.Options;
        if (DataKind(options) != data.Kind)
            throw new ArgumentException($"{Name} with these options models {DataKind(options)} data, but was given {data.Kind} data");
        var model = Create(data.Dimension, options);
        model.Network.to(device);
        var trainingOptions = training with
        {
            Epochs = recipe.Epochs, Optimizer = OptimizerKind.Adam, LearningRate = recipe.LearningRate, Momentum = 0,
            Card = DensityModels.Card(Name, options),
        };
        var task = new DensityTask(model, trainingOptions);
        var trainer = new Trainer<Tensor>(task, trainingOptions);
        var train = data.Train.to(device);
        var validation = data.Validation.narrow(0, 0, Math.Min(2000, data.Validation.shape[0])).to(device);
        var clock = Stopwatch.StartNew();
        var result = trainer.Fit(epoch => DensityTask.Shuffled(train, recipe.BatchSize, training.Seed, epoch),
            () => DensityTask.InOrder(validation, 500), (train.shape[0] + recipe.BatchSize - 1) / recipe.BatchSize);
        double seconds = clock.Elapsed.TotalSeconds;
        if (!result.Succeeded) throw new TrainingStoppedException(result.Message);
        string path = result.BestCheckpoint ?? result.LastCheckpoint!;
        Checkpoint.LoadModule(path, model.Network);
        model.Network.eval();
        return new FittedDensity(model, result, seconds, path, options);
    }

    /// <inheritdoc/>
    public IDensityModel Load(string checkpoint, ModelCard card, Device device)
    {
        var model = Create(DensityData.ImageDimension, card.SettingsAs<TOptions>());
        model.Network.to(device);
        Checkpoint.LoadModule(checkpoint, model.Network);
        model.Network.eval();
        return model;
    }
}
