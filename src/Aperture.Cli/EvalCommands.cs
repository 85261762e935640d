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
            string ckpt = RunFolder.Checkpoint(r.GetValue(model)!);
            var (net, spec) = ClassifierSpec.Load(ckpt);
            net.to(device);
            using var test = ClassificationData.LoadTest(r.GetValue(folder), spec.InChannels, r.GetValue(CommonOptions.Data));
            if (!test.ClassNames.SequenceEqual(spec.ClassNames))
                throw new InvalidDataException($"{ckpt}: the model knows classes [{string.Join(", ", spec.ClassNames)}] but the test data has [{string.Join(", ", test.ClassNames)}]");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var cm = ClassifierTraining.Evaluate(net, spec, test, device: device);
            double seconds = sw.Elapsed.TotalSeconds;
            string outDir = CommonOptions.OutDir(r, RunFolder.Of(ckpt));
            string png = Path.Combine(outDir, $"{spec.Model}-eval-confusion.png");
            var counts = cm.ToArray();
            using (var t = tensor(counts.Cast<long>().ToArray(), new long[] { cm.NumClasses, cm.NumClasses }))
                PlotConfusionMatrix.Write(png, t, spec.ClassNames, $"{spec.Model}: test confusion matrix (accuracy {cm.Accuracy:P2})");
            var perClass = cm.PerClassAccuracy();
            if (r.GetValue(CommonOptions.Json))
                Output.Json(new { checkpoint = ckpt, model = spec.Model, data = test.Source, images = cm.Total, accuracy = cm.Accuracy,
                    per_class_accuracy = spec.ClassNames.Select((c, i) => new { @class = c, accuracy = perClass[i] }),
                    images_per_second = cm.Total / seconds, confusion_png = png });
            else
            {
                Output.Line($"{ckpt}: {spec.Model} on {test.Source}");
                Output.Table($"test accuracy {cm.Accuracy:P2} on {cm.Total} images ({cm.Total / seconds:F0} images/s)", new[] { "class", "accuracy" },
                    spec.ClassNames.Select((c, i) => (IReadOnlyList<string>)new[] { c, perClass[i].ToString("P1", CultureInfo.InvariantCulture) }));
                Output.Line($"confusion matrix: {png}");
            }
            return 0;
        });
        return cmd;
    }

    private static Command Predict()
    {
        var model = ModelOption();
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top", "-k") { Description = "How many classes to show per image", DefaultValueFactory = _ => 3 };
        var invert = new Option<bool>("--invert") { Description = "Invert grey levels first (photos of dark items on light ground; Fashion-MNIST items are light on black)" };
        var cmd = Cli.Command("predict", "Classify image files with a trained classifier: the top-k classes with their probabilities.",
            "aperture predict shirt.png shoe.jpg --model runs/lenet5 --top 3");
        cmd.Add(images);
        cmd.Add(model);
        cmd.Add(top);
        cmd.Add(invert);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var (net, spec) = ClassifierSpec.Load(r.GetValue(model)!);
            net.to(device);
            int k = Math.Clamp(r.GetValue(top), 1, spec.ClassNames.Count);
            var results = new List<object>();
            foreach (string path in r.GetValue(images)!)
            {
                using var scope = NewDisposeScope();
                var img = ImageTensor.Read(path, grayscale: spec.InChannels == 1);
                var x = nn.functional.interpolate(img.unsqueeze(0).to_type(ScalarType.Float32),
                    new long[] { spec.InputSize, spec.InputSize }, mode: InterpolationMode.Area);
                if (r.GetValue(invert)) x = 255 - x;
                var probs = ClassifierTraining.Predict(net, spec, x.round().clamp(0, 255).to_type(ScalarType.Byte))[0];
                var (p, c) = probs.topk(k);
                var pv = p.data<float>().ToArray();
                var cv = c.data<long>().ToArray();
                var ranked = Enumerable.Range(0, k).Select(i => new { @class = spec.ClassNames[(int)cv[i]], probability = (double)pv[i] }).ToList();
                results.Add(new { image = path, top = ranked });
                if (!r.GetValue(CommonOptions.Json))
                    Output.Line($"{path}: " + string.Join(", ", ranked.Select(x => $"{x.@class} {x.probability.ToString("0.000", CultureInfo.InvariantCulture)}")));
            }
            if (r.GetValue(CommonOptions.Json)) Output.Json(results);
            return 0;
        });
        return cmd;
    }
}
