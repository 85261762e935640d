using Aperture.Data;
using Aperture.Imaging;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>The pictures of a classification run, written as PNGs into one folder.</summary>
/// <param name="Curves">Learning curves: train/val loss and accuracy per epoch.</param>
/// <param name="Confusion">Test confusion matrix.</param>
/// <param name="Predictions">A grid of test images with the predicted class and its probability (green right, red wrong).</param>
/// <param name="Filters">The first convolution layer's filters.</param>
public sealed record ClassificationFigures(string Curves, string Confusion, string Predictions, string Filters)
{
    /// <summary>Writes the four figures of <paramref name="run"/> into <paramref name="folder"/> with file names prefixed by <paramref name="prefix"/>.</summary>
    /// <param name="run">The finished run.</param>
    /// <param name="test">The test images the run was scored on (<c>uint8 [N, C, H, W]</c>); 32 of them are shown.</param>
    /// <param name="folder">Output folder.</param>
    /// <param name="prefix">File-name prefix, e.g. the model name.</param>
    /// <param name="seed">Chooses which test images are shown.</param>
    public static ClassificationFigures Write(ClassifierRun run, LabeledImages test, string folder, string prefix, long seed = 0)
    {
        Aperture.Core.OutputFolder.Create(folder);
        string P(string name) => Path.Combine(folder, $"{prefix}-{name}.png");
        var h = run.Training.History;
        var epochs = h.Select(e => (double)e.Epoch).ToArray();
        double[] Series(Func<Training.EpochSummary, IReadOnlyDictionary<string, double>> pick, string key) =>
            h.Select(e => pick(e).TryGetValue(key, out var v) ? v : double.NaN).ToArray();
        var curves = new List<Curve>
        {
            new("train loss", Series(e => e.Train, "loss"), epochs),
            new("val loss", Series(e => e.Validation, "loss"), epochs),
            new("train accuracy", Series(e => e.Train, "accuracy"), epochs, RightAxis: true),
            new("val accuracy", Series(e => e.Validation, "accuracy"), epochs, RightAxis: true),
        };
        PlotCurves.Write(P("curves"), curves, $"{run.Spec.Model}: learning curves", yLabel: "cross-entropy", rightLabel: "accuracy");

        var counts = run.Test.ToArray();
        int k = run.Test.NumClasses;
        using (var t = tensor(counts.Cast<long>().ToArray(), new long[] { k, k }))
            PlotConfusionMatrix.Write(P("confusion"), t, run.Spec.ClassNames,
                $"{run.Spec.Model}: test confusion matrix (accuracy {run.Test.Accuracy:P2})");

        using (var scope = NewDisposeScope())
        {
            var pick = randperm(test.Count, generator: new Generator((ulong)seed)).narrow(0, 0, Math.Min(32, test.Count));
            var images = test.Images.index_select(0, pick);
            var labels = test.Labels.index_select(0, pick).data<long>().ToArray();
            var probs = ClassifierTraining.Predict(run.Model, run.Spec, images);
            var (p, cls) = probs.max(1);
            var pv = p.data<float>().ToArray();
            var cv = cls.data<long>().ToArray();
            var captions = Enumerable.Range(0, pv.Length)
                .Select(i => Caption.Prediction(run.Spec.ClassNames[(int)cv[i]], pv[i], run.Spec.ClassNames[(int)labels[i]])).ToList();
            ImageTensor.Write(P("predictions"), ImageGrid.Tile(images, columns: 8, padding: 4, scale: 3, captions: captions));

            var firstConv = run.Model.modules().OfType<Conv2d>().First();
            var filters = ImageGrid.Filters(firstConv.weight!);
            int scale = Math.Max(1, 48 / (int)filters.shape[2]);
            ImageTensor.Write(P("filters"), ImageGrid.Tile(filters, columns: Math.Min(8, (int)filters.shape[0]), padding: 2, scale: scale));
        }
        return new ClassificationFigures(P("curves"), P("confusion"), P("predictions"), P("filters"));
    }
}
