using TorchSharp;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Generative.AutoEncoders;

/// <summary>
/// Training of <see cref="ConvAutoEncoder"/> as an <see cref="ITrainingTask{TBatch}"/>: per batch, corrupt the clean
/// images with <see cref="ImageNoise"/> (nothing for the plain auto-encoder), reconstruct, and take one Adam step on the
/// mean squared error to the clean images — the denoising criterion of Vincent et al. 2008. Reports <c>loss</c> (MSE on
/// [-1, 1] pixels); evaluation reconstructs clean held-out images and picks the best checkpoint by their <c>loss</c>.
/// </summary>
public sealed class AutoEncoderTask : ITrainingTask<Batch>
{
    private readonly AutoEncoderOptions _options;

    /// <summary>Wraps the network; Adam's settings come from <paramref name="training"/>.</summary>
    public AutoEncoderTask(ConvAutoEncoder model, AutoEncoderOptions options, TrainingOptions training)
    {
        options.Validate();
        _options = options;
        Model = model;
        Modules = new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = model };
        Optimizers = [OptimizerFactory.Create("optimizer", model.parameters(), training)];
    }

    /// <summary>The network.</summary>
    public ConvAutoEncoder Model { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules { get; }

    /// <inheritdoc/>
    public IReadOnlyList<OptimizerSlot> Optimizers { get; }

    /// <inheritdoc/>
    public MetricGoal BestBy { get; } = new("loss", HigherIsBetter: false);

    /// <inheritdoc/>
    public long CountExamples(Batch batch) => batch.Size;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch)
    {
        var optimizer = Optimizers[0].Optimizer;
        var clean = batch.Images;
        var input = ImageNoise.Corrupt(clean, _options.Noise, _options.NoiseLevel);
        var loss = nn.functional.mse_loss(Model.forward(input), clean);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return new Dictionary<string, Tensor> { ["loss"] = loss.detach() };
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches)
    {
        double sum = 0;
        long count = 0;
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                sum += nn.functional.mse_loss(Model.forward(batch.Images), batch.Images, reduction: nn.Reduction.Sum).ToDouble() / (28 * 28);
                count += batch.Size;
            }
        }
        return new Dictionary<string, double> { ["loss"] = sum / Math.Max(count, 1) };
    }
}
