using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
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
    /// <summary>How the report trains <paramref name="method"/>: in <c>runs/NAME</c> of the report, its recipe (or quick recipe on a
    /// 12,000-image subset), 5,000 validation images (1,000). The detection chapter's pre-training uses the same.</summary>
    public static ClassificationSettings Settings(ClassifierMethod method, string reportFolder, bool quick, long seed, TextWriter log) => new()
    {
        Model = method.Name, OutputDirectory = Path.Combine(reportFolder, "runs", method.Name), Seed = seed,
        Epochs = quick ? method.Recipe.QuickEpochs : null, Limit = quick ? 12000 : 0, Validation = quick ? 1000 : 5000,
        Progress = ProgressMode.Lines, Log = log, TensorBoard = false,
    };

    /// <summary>Runs every registered classifier (<see cref="ClassificationRun"/>) and adds the chapter; returns the runs (their models serve later chapters).</summary>
    /// <param name="report">The report to add to.</param>
    /// <param name="train">Training images; the runs hold their validation images out of them.</param>
    /// <param name="test">Test images.</param>
    /// <param name="quick">A glimpse: 12,000 training images, 1,000 validation images and each recipe's quick epochs.</param>
    /// <param name="seed">Seed for the split, initialisation, order and shown images.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Where progress lines go.</param>
    public static IReadOnlyDictionary<string, ClassifierRun> Add(HtmlReport report, LabeledImages train, LabeledImages test, bool quick, long seed,
        Device device, TextWriter log)
    {
        var chapter = report.AddChapter("Image classification: LeNet-5 and VGG-GAP on Fashion-MNIST");
        var runs = new Dictionary<string, ClassifierRun>();
        var rows = new List<IReadOnlyList<string>>();
        var sections = new List<Action>();
        ClassificationResults? first = null;
        foreach (var method in Classifiers.All)
        {
            string name = method.Name;
            var settings = Settings(method, report.Folder, quick, seed, log);
            log.WriteLine($"[report] training {name} for {settings.Epochs ?? method.Recipe.Epochs} epochs");
            var (run, results) = ClassificationRun.Execute(settings, train, test, device);
            first ??= results;
            runs[name] = run;
            var figures = results.Figures;
            rows.Add(new[]
            {
                name, results.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                results.Epochs.ToString(CultureInfo.InvariantCulture), results.Augment ? "crop+flip" : "none",
                results.ValidationAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                results.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                results.TrainSeconds.ToString("F0", CultureInfo.InvariantCulture),
                results.TrainImagesPerSecond.ToString("F0", CultureInfo.InvariantCulture),
            });
            sections.Add(() =>
            {
                chapter.Heading(name)
                    .Figure(figures.Curves, $"{name}: loss (left axis) and accuracy (right axis) per epoch, on training batches and on the held-out validation set.", 560)
                    .Figure(figures.Confusion, $"{name}: test confusion matrix; rows are true classes, columns predictions. {MostConfused(run.Test)}", 480)
                    .Figure(figures.Predictions, $"{name}: 32 random test images with the predicted class and its softmax probability; green right, red wrong (with the truth).", 720)
                    .Figure(figures.Filters, $"{name}: the first convolution layer's filters, each scaled to its own range.", 300);
                chapter.Table(new[] { "class", "test accuracy" },
                    results.PerClassAccuracy.Select(c => (IReadOnlyList<string>)new[] { c.Class, c.Accuracy.ToString("P1", CultureInfo.InvariantCulture) }));
            });
        }
        chapter.Paragraph("The first networks of the field, trained from scratch on real Fashion-MNIST (28x28 grey images of 10 kinds of clothing). "
            + "LeNet-5 (LeCun et al. 1998) is C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, output 10, with ReLU and max pooling. "
            + "VGG-GAP stacks 3x3 convolutions (two each of 16, 32 and 64 channels, batch norm, ReLU, two 2x2 max pools) and ends in global average pooling "
            + "and one linear layer, the shape class activation maps need. "
            + $"Training used {first!.TrainImages} images, validation {first.ValidationImages} held-out training images, test {first.TestImages} images; data from {first.Data}.");
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
