using System.Diagnostics;
using Aperture.Core;
using Aperture.Data;
using Aperture.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Classification;

/// <summary>What scoring a trained classifier on labelled images measured (what <c>aperture eval</c> prints).</summary>
/// <param name="Checkpoint">The checkpoint scored.</param>
/// <param name="Model">Its architecture.</param>
/// <param name="Data">Where the images came from.</param>
/// <param name="Images">Images scored.</param>
/// <param name="Accuracy">Accuracy.</param>
/// <param name="PerClassAccuracy">Accuracy per class.</param>
/// <param name="ImagesPerSecond">Inference throughput.</param>
/// <param name="ConfusionPng">The confusion-matrix PNG.</param>
public sealed record ClassifierEvaluationResults(string Checkpoint, string Model, string Data, long Images, double Accuracy,
    IReadOnlyList<ClassAccuracy> PerClassAccuracy, double ImagesPerSecond, string ConfusionPng);

/// <summary>One class and its probability.</summary>
/// <param name="Class">Class name.</param>
/// <param name="Probability">Softmax probability.</param>
public sealed record ClassProbability(string Class, double Probability);

/// <summary>A trained classifier applied to what a user gives it: a labelled test set, or image files.</summary>
public static class ClassifierEvaluation
{
    /// <summary>Scores a trained classifier on labelled images and draws the confusion matrix into <paramref name="folder"/>.</summary>
    /// <param name="checkpointOrRun">A checkpoint file or a run folder.</param>
    /// <param name="loadTest">Gives the test images for the model's input channels (called after the model is loaded, so a wrong checkpoint fails first).</param>
    /// <param name="folder">Output folder, or null for the run folder.</param>
    /// <param name="device">Where to run.</param>
    /// <exception cref="InvalidDataException">Not a classifier, or the images have another size or other classes than the model.</exception>
    public static ClassifierEvaluationResults Run(string checkpointOrRun, Func<int, LabeledImages> loadTest, string? folder, Device device)
    {
        string ckpt = RunFolder.Checkpoint(checkpointOrRun);
        var (net, spec) = ClassifierSpec.Load(ckpt);
        net.to(device);
        using var test = loadTest(spec.InChannels);
        var shape = test.Images.shape;
        if (shape.Length != 4 || shape[1] != spec.InChannels || shape[2] != spec.InputSize || shape[3] != spec.InputSize)
            throw new InvalidDataException($"{test.Source}: the test images are [{string.Join(", ", shape)}] but {ckpt} takes " +
                $"[N, {spec.InChannels}, {spec.InputSize}, {spec.InputSize}]; resize them to {spec.InputSize}x{spec.InputSize}");
        if (!test.ClassNames.SequenceEqual(spec.ClassNames))
            throw new InvalidDataException($"{ckpt}: the model knows classes [{string.Join(", ", spec.ClassNames)}] but the test data has [{string.Join(", ", test.ClassNames)}]");
        var sw = Stopwatch.StartNew();
        var cm = ClassifierTraining.Evaluate(net, spec, test, device: device);
        double seconds = sw.Elapsed.TotalSeconds;
        string png = Path.Combine(folder ?? RunFolder.Of(ckpt), $"{spec.Model}-eval-confusion.png");
        using (var t = tensor(cm.ToArray().Cast<long>().ToArray(), new long[] { cm.NumClasses, cm.NumClasses }))
            PlotConfusionMatrix.Write(png, t, spec.ClassNames, $"{spec.Model}: test confusion matrix (accuracy {cm.Accuracy:P2})");
        var perClass = cm.PerClassAccuracy();
        return new ClassifierEvaluationResults(ckpt, spec.Model, test.Source, cm.Total, cm.Accuracy,
            spec.ClassNames.Select((c, i) => new ClassAccuracy(c, perClass[i])).ToList(), cm.Total / Math.Max(seconds, 1e-9), png);
    }

    /// <summary>The <paramref name="k"/> most probable classes of an image file (resized to the model's input; see <see cref="ClassifierSpec.ReadImage"/>).</summary>
    /// <param name="model">A trained classifier, in eval mode.</param>
    /// <param name="spec">What it is.</param>
    /// <param name="file">PNG or JPEG file.</param>
    /// <param name="k">How many classes, 1 … K.</param>
    /// <param name="invert">Invert grey levels first.</param>
    /// <exception cref="ArgumentException"><paramref name="k"/> outside 1 … K.</exception>
    public static IReadOnlyList<ClassProbability> TopK(nn.Module<Tensor, Tensor> model, ClassifierSpec spec, string file, int k, bool invert = false)
    {
        if (k < 1 || k > spec.ClassNames.Count) throw new ArgumentException($"top-k must be in 1 … {spec.ClassNames.Count}, got {k}");
        using var scope = NewDisposeScope();
        var probs = ClassifierTraining.Predict(model, spec, spec.ReadImage(file, invert).unsqueeze(0))[0];
        var (p, c) = probs.topk(k);
        var pv = p.data<float>().ToArray();
        var cv = c.data<long>().ToArray();
        return Enumerable.Range(0, k).Select(i => new ClassProbability(spec.ClassNames[(int)cv[i]], pv[i])).ToList();
    }
}
