using System.Globalization;
using Aperture.Classification;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>
/// The report chapter "Image classification": LeNet-5 and VGG-GAP trained on Fashion-MNIST with their
/// recipes, scored on the test set, with learning curves, confusion matrices, sample predictions and first-layer filters.
/// </summary>
public static class ClassificationChapter
{
    /// <summary>Trains both classifiers and adds the chapter; returns the runs (their models serve later chapters).</summary>
    /// <param name="report">The report to add to.</param>
    /// <param name="train">Training images; <paramref name="validation"/> is held out from them.</param>
    /// <param name="validation">Validation images (pick the best checkpoint).</param>
    /// <param name="test">Test images.</param>
    /// <param name="epochs">Epochs per model name; a model missing here uses its recipe.</param>
    /// <param name="seed">Seed for initialisation, order and shown images.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Where progress lines go.</param>
    public static IReadOnlyDictionary<string, ClassifierRun> Add(HtmlReport report, LabeledImages train, LabeledImages validation,
        LabeledImages test, IReadOnlyDictionary<string, int> epochs, long seed, Device device, TextWriter log)
    {
        var chapter = report.AddChapter("Image classification: LeNet-5 and VGG-GAP on Fashion-MNIST");
        chapter.Paragraph("The first networks of the field, trained from scratch on real Fashion-MNIST (28x28 grey images of 10 kinds of clothing). "
            + "LeNet-5 (LeCun et al. 1998) is C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, output 10, with ReLU and max pooling. "
            + "VGG-GAP stacks 3x3 convolutions (two each of 16, 32 and 64 channels, batch norm, ReLU, two 2x2 max pools) and ends in global average pooling "
            + "and one linear layer, the shape class activation maps need. "
            + $"Training used {train.Count} images, validation {validation.Count} held-out training images, test {test.Count} images; data from {train.Source}.");
        var runs = new Dictionary<string, ClassifierRun>();
        var rows = new List<IReadOnlyList<string>>();
        var sections = new List<Action>();
        foreach (string name in Classifiers.Names)
        {
            var recipe = ClassifierRecipe.For(name);
            var options = new TrainingOptions
            {
                Epochs = epochs.TryGetValue(name, out int e) ? e : recipe.Epochs,
                Optimizer = recipe.Optimizer, LearningRate = recipe.LearningRate, WeightDecay = recipe.WeightDecay,
                Nesterov = recipe.Nesterov, Schedule = recipe.Schedule, Seed = seed,
                OutputDirectory = Path.Combine(report.Folder, "runs", name), Progress = ProgressMode.Lines, Log = log,
                TensorBoard = false,
            };
            log.WriteLine($"[report] training {name} for {options.Epochs} epochs on {train.Count} images");
            var run = ClassifierTraining.Train(name, train, validation, test, options, recipe.BatchSize, recipe.Augment, device);
            if (!run.Training.Succeeded) throw new TrainingStoppedException(run.Training.Message);
            runs[name] = run;
            var figures = ClassificationFigures.Write(run, test, Path.Combine(report.Folder, "classification"), name, seed);
            var h = run.Training.History;
            double trainSeconds = h.Sum(x => x.Seconds);
            rows.Add(new[]
            {
                name, run.Model.parameters().Sum(p => p.numel()).ToString("N0", CultureInfo.InvariantCulture),
                h.Count.ToString(CultureInfo.InvariantCulture), recipe.Augment ? "crop+flip" : "none",
                h[^1].Validation.TryGetValue("accuracy", out var va) ? va.ToString("P2", CultureInfo.InvariantCulture) : "-",
                run.Test.Accuracy.ToString("P2", CultureInfo.InvariantCulture),
                trainSeconds.ToString("F0", CultureInfo.InvariantCulture),
                (h.Sum(x => (double)x.Examples) / trainSeconds).ToString("F0", CultureInfo.InvariantCulture),
            });
            sections.Add(() =>
            {
                chapter.Heading(name)
                    .Figure(figures.Curves, $"{name}: loss (left axis) and accuracy (right axis) per epoch, on training batches and on the held-out validation set.", 560)
                    .Figure(figures.Confusion, $"{name}: test confusion matrix; rows are true classes, columns predictions. {MostConfused(run.Test)}", 480)
                    .Figure(figures.Predictions, $"{name}: 32 random test images with the predicted class and its softmax probability; green right, red wrong (with the truth).", 720)
                    .Figure(figures.Filters, $"{name}: the first convolution layer's filters, each scaled to its own range.", 300);
                var perClass = run.Test.PerClassAccuracy();
                chapter.Table(new[] { "class", "test accuracy" },
                    run.Spec.ClassNames.Select((c, i) => (IReadOnlyList<string>)new[] { c, perClass[i].ToString("P1", CultureInfo.InvariantCulture) }));
            });
        }
        chapter.Table(new[] { "model", "parameters", "epochs", "augmentation", "val accuracy", "test accuracy", "train seconds", "train images/s" }, rows);
        foreach (var section in sections) section();
        return runs;
    }

    /// <summary>The three largest off-diagonal cells, in words.</summary>
    private static string MostConfused(ConfusionMatrix cm)
    {
        var cells = new List<(long Count, int Truth, int Predicted)>();
        for (int i = 0; i < cm.NumClasses; i++)
            for (int j = 0; j < cm.NumClasses; j++)
                if (i != j && cm[i, j] > 0) cells.Add((cm[i, j], i, j));
        if (cells.Count == 0) return "No test image was misclassified.";
        var top = cells.OrderByDescending(c => c.Count).Take(3)
            .Select(c => $"{cm.ClassNames[c.Truth]} taken for {cm.ClassNames[c.Predicted]} ({c.Count})");
        return "Most frequent confusions: " + string.Join("; ", top) + ".";
    }
}
