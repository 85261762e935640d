using System.CommandLine;
using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Training;

namespace Aperture.Cli;

/// <summary><c>aperture train classify</c>: option wiring for <see cref="ClassificationRun"/>.</summary>
internal static class TrainCommands
{
    public static void AddTo(RootCommand root) => Cli.Train(root).Add(Classify());

    private static Command Classify()
    {
        var model = new Option<string>("--model", "-m") { Description = string.Join("; ", Classifiers.All.Select(m => $"{m.Name}: {m.Description}")), DefaultValueFactory = _ => Classifiers.Names[0] };
        model.AcceptOnlyFromAmong(Classifiers.Names.ToArray());
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the model's recipe)" };
        var batch = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: the recipe's)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the recipe's)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam or adamw (default: the recipe's)" };
        var schedule = new Option<string?>("--schedule") { Description = "constant, step or cosine (default: the recipe's)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "L2 weight decay (default: the recipe's)" };
        var augment = new Option<bool?>("--augment") { Description = "Random crop and horizontal flip (default: the recipe's)" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out" };
        var limit = new Option<int>("--limit") { Description = "Train on at most this many images (0: all)", DefaultValueFactory = _ => 0 };
        var folder = new Option<string?>("--folder") { Description = "Use your own images instead: a folder with train/ and test/ sub-folders, each holding one folder per class (PNG/JPEG, resized to 28x28)" };
        var channels = new Option<int>("--channels") { Description = "With --folder: 1 (grey) or 3 (RGB)", DefaultValueFactory = _ => 1 };
        var validation = new Option<int>("--validation") { Description = "Training images held out for validation (pick best.ckpt)", DefaultValueFactory = _ => 5000 };

        var cmd = Cli.Command("classify",
            "Train an image classifier on Fashion-MNIST (or your own image folder), then score it on the test set (accuracy, per-class accuracy, confusion matrix).",
            "aperture train classify --model lenet5 --epochs 5 --out runs/lenet5");
        foreach (var o in new Option[] { model, epochs, batch, lr, optimizer, schedule, weightDecay, augment, resume, limit, validation, folder, channels }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string name = r.GetValue(model)!;
            bool json = r.GetValue(CommonOptions.Json);
            using var progress = CommonOptions.Progress(r);
            var settings = new ClassificationSettings
            {
                Model = name, OutputDirectory = CommonOptions.OutDir(r, Path.Combine("runs", name)), Seed = r.GetValue(CommonOptions.Seed),
                Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr), WeightDecay = r.GetValue(weightDecay),
                Optimizer = r.GetValue(optimizer) is string o ? TrainingOptions.ParseOptimizer(o) : null,
                Schedule = r.GetValue(schedule) is string s ? TrainingOptions.ParseSchedule(s) : null,
                Augment = r.GetValue(augment), Resume = r.GetValue(resume), Limit = r.GetValue(limit), Validation = r.GetValue(validation),
                Progress = ProgressMode.Auto, Log = progress.Log,
            };
            settings.Validate(); // bad options and an --out that cannot be written fail before any data is read
            OutputFolder.Create(settings.OutputDirectory);
            var (train, test) = ClassificationData.Load(r.GetValue(folder), r.GetValue(channels), r.GetValue(CommonOptions.Data));
            using var disposeTrain = train;
            using var disposeTest = test;
            var (run, results) = ClassificationRun.Execute(settings, train, test, device);
            progress.Dispose();
            if (json) Output.Json(results);
            else
            {
                Output.Line(run.Training.Message);
                Output.Table($"{name}: test accuracy {results.TestAccuracy:P2} on {results.TestImages} images", ["class", "accuracy"],
                    results.PerClassAccuracy.Select(c => (IReadOnlyList<string>)[c.Class, c.Accuracy.ToString("P1", CultureInfo.InvariantCulture)]));
                var f = results.Figures;
                Output.Line($"figures: {f.Curves}, {f.Confusion}, {f.Predictions}, {f.Filters}");
            }
            return 0;
        });
        return cmd;
    }
}
