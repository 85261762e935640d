using System.Diagnostics;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>A finished classification run: the trained model, what it is, how training went, and its test confusion matrix.</summary>
public sealed record ClassifierRun(
    nn.Module<Tensor, Tensor> Model, ClassifierSpec Spec, TrainingResult Training, ConfusionMatrix Test, double TestSeconds);

/// <summary>Trains, evaluates and applies image classifiers on <see cref="LabeledImages"/>.</summary>
public static class ClassifierTraining
{
    /// <summary>
    /// Trains <paramref name="model"/> (a name from <see cref="Classifiers.Names"/>) on <paramref name="train"/>,
    /// validating each epoch on <paramref name="validation"/>, then scores the final model on <paramref name="test"/>.
    /// </summary>
    /// <param name="model">Architecture name.</param>
    /// <param name="train">Training images <c>uint8 [N, C, 28, 28]</c>.</param>
    /// <param name="validation">Held-out images used to pick <c>best.ckpt</c>.</param>
    /// <param name="test">Test images, scored once at the end.</param>
    /// <param name="options">Trainer options (epochs, optimizer, output folder, resume...).</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="augment">Random crop (padding 2) and horizontal flip on training batches.</param>
    /// <param name="device">Where to train.</param>
    public static ClassifierRun Train(string model, LabeledImages train, LabeledImages validation, LabeledImages test,
        TrainingOptions options, int batchSize, bool augment, Device? device = null)
    {
        device ??= CPU;
        var (mean, std) = Classifiers.Find(model).Normalization ?? PixelStatistics(train);
        var spec = new ClassifierSpec(model, train.ClassNames, (int)train.Images.shape[1], (int)train.Images.shape[2], mean, std);
        var net = spec.CreateModel();
        net.to(device);
        options = options with { Card = spec.ToCard() };
        var normalize = new Normalize(spec.Mean, spec.Std);
        IBatchTransform trainTransform = augment
            ? new Compose(new RandomCrop(spec.InputSize, padding: 2), new RandomHorizontalFlip(), normalize)
            : normalize;
        var trainLoader = new DataLoader(train, batchSize, shuffle: true, seed: options.Seed, transform: trainTransform, device: device);
        var valLoader = new DataLoader(validation, 256, shuffle: false, transform: normalize, device: device);
        var task = new ClassificationTask(net, options);
        var result = new Trainer<Batch>(task, options).Fit(trainLoader.Epoch, () => valLoader.Epoch(0), trainLoader.BatchesPerEpoch);
        var sw = Stopwatch.StartNew();
        var confusion = result.Succeeded ? Evaluate(net, spec, test, device: device) : new ConfusionMatrix(spec.ClassNames);
        return new ClassifierRun(net, spec, result, confusion, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Mean and standard deviation of all pixels of <paramref name="data"/>, scaled to [0, 1] (one value for all channels).</summary>
    public static (float Mean, float Std) PixelStatistics(LabeledImages data)
    {
        using var scope = NewDisposeScope();
        var x = data.Images.to_type(ScalarType.Float64).div_(255);
        return ((float)x.mean().item<double>(), (float)x.std().item<double>());
    }

    /// <summary>Confusion matrix of <paramref name="model"/> over <paramref name="data"/> (<c>uint8 [N, C, H, W]</c>).</summary>
    public static ConfusionMatrix Evaluate(nn.Module<Tensor, Tensor> model, ClassifierSpec spec, LabeledImages data,
        int batchSize = 256, Device? device = null)
    {
        var confusion = new ConfusionMatrix(spec.ClassNames);
        var loader = new DataLoader(data, batchSize, shuffle: false, transform: new Normalize(spec.Mean, spec.Std), device: device);
        model.eval();
        using var noGrad = no_grad();
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using (batch)
                confusion.Add(batch.Labels, model.forward(batch.Images).argmax(1));
        }
        return confusion;
    }

    /// <summary>Class probabilities <c>[N, K]</c> (softmax of the logits) for images <c>uint8 [N, C, H, W]</c>.</summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, ClassifierSpec spec, Tensor images)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var device = model.parameters().First().device;
        return nn.functional.softmax(model.forward(spec.Normalize(images.to(device))), 1).cpu().MoveToOuterDisposeScope();
    }
}
