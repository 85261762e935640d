using System.CommandLine;
using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture eval</c> and <c>aperture predict</c>.</summary>
internal static class EvalCommands
{
    private static Option<string> ModelOption() => new("--model", "-m")
    {
        Description = "A checkpoint file, or a run folder (its checkpoints/best.ckpt is used)",
        Required = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Add(Eval());
        root.Add(Predict());
    }

    private static Command Eval()
    {
        var model = ModelOption();
        var folder = new Option<string?>("--folder") { Description = "Score on your own images: the test/ sub-folder of this image folder (one folder per class)" };
        var cmd = Cli.Command("eval", "Score a trained classifier on the Fashion-MNIST test set (or --folder DIR's test/): accuracy, per-class accuracy and a confusion-matrix PNG.",
            "aperture eval --model runs/lenet5");
        cmd.Add(model);
        cmd.Add(folder);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var res = ClassifierEvaluation.Run(r.GetValue(model)!, channels => ClassificationData.LoadTest(r.GetValue(folder), channels, r.GetValue(CommonOptions.Data)),
                r.GetValue(CommonOptions.Out), device);
            if (r.GetValue(CommonOptions.Json)) Output.Json(res);
            else
            {
                Output.Line($"{res.Checkpoint}: {res.Model} on {res.Data}");
                Output.Table($"test accuracy {res.Accuracy:P2} on {res.Images} images ({res.ImagesPerSecond:F0} images/s)", ["class", "accuracy"],
                    res.PerClassAccuracy.Select(c => (IReadOnlyList<string>)[c.Class, c.Accuracy.ToString("P1", CultureInfo.InvariantCulture)]));
                Output.Line($"confusion matrix: {res.ConfusionPng}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Predict()
    {
        var model = ModelOption();
        var top = new Option<int>("--top", "-k") { Description = "How many classes to show per image", DefaultValueFactory = _ => 3 };
        var invert = new Option<bool>("--invert") { Description = "Invert grey levels first (photos of dark items on light ground; Fashion-MNIST items are light on black)" };
        var cmd = Cli.Command("predict", "Classify image files with a trained classifier: the top-k classes with their probabilities; with --out, also written to <out>/predictions.json.",
            "aperture predict shirt.png shoe.jpg --model runs/lenet5 --top 3");
        var inputs = new BatchInputs(cmd, "PNG or JPEG files");
        cmd.Add(model);
        cmd.Add(top);
        cmd.Add(invert);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var batch = inputs.Plan(r, "predictions");
            var (net, spec) = ClassifierSpec.Load(r.GetValue(model)!);
            net.to(device);
            var results = new List<ImagePrediction>();
            var paths = batch.Images;
            bool json = r.GetValue(CommonOptions.Json);
            // predict's result is its per-image line: printed as before, and the bar only counts when there are many.
            using (var progress = paths.Count > 1 ? CommonOptions.Progress(r) : ProgressReporter.Quiet)
            {
                var task = progress.Start("predict", paths.Count);
                foreach (string path in paths)
                {
                    var ranked = ClassifierEvaluation.TopK(net, spec, path, r.GetValue(top), r.GetValue(invert));
                    results.Add(new ImagePrediction(path, ranked));
                    batch.Add(results[^1]);
                    task.Advance();
                    if (!json) (paths.Count > 1 ? progress.Message : (Action<string>)Output.Line)($"{path}: " + string.Join(", ", ranked.Select(x => $"{x.Class} {x.Probability.ToString("0.000", CultureInfo.InvariantCulture)}")));
                }
                task.Done();
            }
            string? written = BatchInputs.WriteToOut(r, batch);
            if (json) Output.Json(results);
            else if (written is not null) Output.Line(BatchInputs.Describe(batch, written));
            return 0;
        });
        return cmd;
    }
}
