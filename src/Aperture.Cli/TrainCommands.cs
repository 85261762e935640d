using System.CommandLine;
using System.Globalization;
using Aperture.Classification;
using Aperture.Data;
using Aperture.Reports;
using Aperture.Training;

namespace Aperture.Cli;

/// <summary><c>aperture train classify</c>.</summary>
internal static class TrainCommands
{
    public static void AddTo(RootCommand root)
    {
        var train = new Command("train", "Train a model; checkpoints, metrics.jsonl, TensorBoard events and PNGs go to --out.");
        train.Add(Classify());
        root.Add(train);
    }

    private static Command Classify()
    {
        var model = new Option<string>("--model", "-m") { Description = "lenet5 or vgg-gap", DefaultValueFactory = _ => "lenet5" };
        model.AcceptOnlyFromAmong(Classifiers.Names.ToArray());
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the model's recipe, 5 for lenet5, 10 for vgg-gap)" };
        var batch = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: the recipe's)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the recipe's)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam or adamw (default: the recipe's)" };
        var schedule = new Option<string?>("--schedule") { Description = "constant, step or cosine (default: the recipe's)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "L2 weight decay (default: the recipe's)" };
        var augment = new Option<bool?>("--augment") { Description = "Random crop and horizontal flip (default: the recipe's)" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out" };
        var limit = new Option<int>("--limit") { Description = "Train on at most this many images (0: all)", DefaultValueFactory = _ => 0 };
        var folder = Datasets.FolderOption();
        var channels = Datasets.ChannelsOption();
        var validation = new Option<int>("--validation") { Description = "Training images held out for validation (pick best.ckpt)", DefaultValueFactory = _ => 5000 };

        var cmd = Cli.Command("classify",
            "Train an image classifier on Fashion-MNIST (or your own image folder), then score it on the test set (accuracy, per-class accuracy, confusion matrix).",
            "aperture train classify --model lenet5 --epochs 5 --out runs/lenet5");
        foreach (var o in new Option[] { model, epochs, batch, lr, optimizer, schedule, weightDecay, augment, resume, limit, validation, folder, channels }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string name = r.GetValue(model)!;
            var recipe = ClassifierRecipe.For(name);
            string outDir = CommonOptions.OutDir(r, Path.Combine("runs", name));
            bool json = r.GetValue(CommonOptions.Json);
            long seed = r.GetValue(CommonOptions.Seed);
            var options = new TrainingOptions
            {
                Epochs = r.GetValue(epochs) ?? recipe.Epochs,
                Optimizer = r.GetValue(optimizer) is string o ? TrainingOptions.ParseOptimizer(o) : recipe.Optimizer,
                LearningRate = r.GetValue(lr) ?? recipe.LearningRate,
                WeightDecay = r.GetValue(weightDecay) ?? recipe.WeightDecay,
                Nesterov = recipe.Nesterov,
                Schedule = r.GetValue(schedule) is string s ? TrainingOptions.ParseSchedule(s) : recipe.Schedule,
                Seed = seed,
                OutputDirectory = outDir,
                Resume = r.GetValue(resume),
                Progress = json ? ProgressMode.Quiet : ProgressMode.Auto,
            };
            options.Validate();

            var (fullTrain, test) = Datasets.Load(r.GetValue(folder), r.GetValue(channels), r.GetValue(CommonOptions.Data));
            using var disposeTrain = fullTrain;
            using var disposeTest = test;
            int holdout = r.GetValue(validation);
            var (rest, val) = fullTrain.Split(Math.Min(holdout, fullTrain.Count / 10), seed);
            using var trainSet = r.GetValue(limit) is > 0 and var n && n < rest.Count ? rest.RandomSubset(n, seed) : rest;
            if (!json) Output.Line($"data: {fullTrain.Source}; training on {trainSet.Count}, validating on {val.Count}, testing on {test.Count}");

            var run = ClassifierTraining.Train(name, trainSet, val, test, options, r.GetValue(batch) ?? recipe.BatchSize,
                r.GetValue(augment) ?? recipe.Augment, device);
            rest.Dispose();
            val.Dispose();
            if (!run.Training.Succeeded)
            {
                Console.Error.WriteLine($"aperture: training stopped: {run.Training.Message}");
                return run.Training.ExitCode;
            }
            var figures = ClassificationFigures.Write(run, test, outDir, name, seed);
            var perClass = run.Test.PerClassAccuracy();
            var last = run.Training.History[^1];
            var result = new
            {
                model = name,
                data = fullTrain.Source,
                epochs = run.Training.EpochsCompleted,
                test_accuracy = run.Test.Accuracy,
                per_class_accuracy = run.Spec.ClassNames.Select((c, i) => new { @class = c, accuracy = perClass[i] }),
                best_validation_accuracy = run.Training.BestValue,
                train_images_per_second = last.ImagesPerSecond,
                checkpoint = run.Training.LastCheckpoint,
                best_checkpoint = run.Training.BestCheckpoint,
                figures,
            };
            Core.AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"), System.Text.Json.JsonSerializer.Serialize(result,
                new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            if (json) Output.Json(result);
            else
            {
                Output.Line(run.Training.Message);
                Output.Table($"{name}: test accuracy {run.Test.Accuracy:P2} on {run.Test.Total} images", new[] { "class", "accuracy" },
                    run.Spec.ClassNames.Select((c, i) => (IReadOnlyList<string>)new[] { c, perClass[i].ToString("P1", CultureInfo.InvariantCulture) }));
                Output.Line($"figures: {string.Join(", ", new[] { figures.Curves, figures.Confusion, figures.Predictions, figures.Filters })}");
            }
            return 0;
        });
        return cmd;
    }
}
