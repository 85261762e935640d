using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Detection;
using Aperture.Generative;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture train density</c>, <c>aperture sample</c> and <c>aperture score</c>: option wiring for the density models.</summary>
internal static class DensityCommands
{
    public static void AddTo(RootCommand root)
    {
        Cli.Train(root).Add(TrainDensity());
        root.Add(Sample());
        root.Add(Score());
    }

    private static Command TrainDensity()
    {
        string[] names = [.. DensityModels.Names, "all"];
        var model = new Option<string>("--model", "-m")
        {
            Description = string.Join("; ", DensityModels.All.Select(m => $"{m.Name}: {m.Description}")) + "; all: every row of the likelihood table on the same split",
            Required = true,
        };
        model.AcceptOnlyFromAmong(names);
        var epochs = new Option<int?>("--epochs") { Description = "Epochs of the trainable models (default: the recipe's)" };
        var batch = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: the recipe's)" };
        var lr = new Option<double?>("--lr") { Description = "Adam's learning rate (default: the recipe's)" };
        var set = new Option<string[]>("--set") { Description = "Change a model option, name=value, repeatable (e.g. --set components=250, --set decoder=bernoulli); a wrong name lists them all", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int>("--limit") { Description = "Train on at most this many images (0: all)", DefaultValueFactory = _ => 0 };
        var testLimit = new Option<int>("--test-limit") { Description = "Score the first this many test images (0: all 10,000)", DefaultValueFactory = _ => 0 };
        var validation = new Option<int>("--validation") { Description = "Training images held out (bandwidth, best checkpoint)", DefaultValueFactory = _ => 5000 };
        var quick = new Option<bool>("--quick") { Description = "The quick report's recipes (few epochs, few samples): a glimpse, not the figure" };

        var cmd = Cli.Command("density",
            "Fit a density model to Fashion-MNIST and score the test images' log-likelihood in nats (and bits/dim): KDE and PPCA on dequantised pixels, " +
            "the density network and the VAE on dequantised (Gaussian decoder) or binarised (--set decoder=bernoulli) pixels. --model all prints the likelihood table.",
            "aperture train density --model ppca --set components=60 --out runs/ppca");
        foreach (var o in new Option[] { model, epochs, batch, lr, set, limit, testLimit, validation, quick }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string name = r.GetValue(model)!;
            bool json = r.GetValue(CommonOptions.Json);
            using var progress = CommonOptions.Progress(r);
            var settings = new DensitySettings
            {
                Model = name == "all" ? DensityModels.Names[0] : name, OutputDirectory = CommonOptions.OutDir(r, Path.Combine("runs", name == "all" ? "density" : name)),
                Seed = r.GetValue(CommonOptions.Seed), Budget = r.GetValue(quick) ? RunBudget.Quick : RunBudget.Default,
                Assignments = r.GetValue(set) ?? [], Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                Limit = r.GetValue(limit), TestLimit = r.GetValue(testLimit), Validation = r.GetValue(validation), DataDirectory = r.GetValue(CommonOptions.Data),
                Progress = ProgressMode.Auto, Log = progress.Log,
            };
            if (name == "all")
            {
                if (settings.Assignments.Count > 0) throw new ArgumentException("--set applies to one model; with --model all each row has its own options");
                OutputFolder.Create(settings.OutputDirectory);
                var table = DensityComparison.Execute(settings, device);
                progress.Dispose();
                if (json) Output.Json(table);
                else PrintTable(table);
                return 0;
            }
            settings.Recipe(); // bad options fail before any data is read
            OutputFolder.Create(settings.OutputDirectory);
            var (fitted, results) = DensityRun.Execute(settings, device);
            fitted.Model.Dispose();
            progress.Dispose();
            if (json) Output.Json(results);
            else
            {
                Output.Table($"{name} on {results.TestExamples} test images ({results.Data} data, {results.Source})",
                    ["log-likelihood (nats)", "± s.e.", "bits/dim", "estimator", "fit s"],
                    [[F1(results.TestLogLikelihood), F1(results.TestLogLikelihoodStdError), results.BitsPerDimension.ToString("F3", CultureInfo.InvariantCulture), results.Estimator, F1(results.FitSeconds)]]);
                Output.Line($"model: {RunFolder.Of(results.Checkpoint)}; figures: {results.Figures.Samples}{(results.Figures.Reconstructions is string rec ? ", " + rec : "")}");
            }
            return 0;
        });
        return cmd;
    }

    private static void PrintTable(DensityTable table)
    {
        Output.Table($"held-out log-likelihood of the first {table.TestExamples} Fashion-MNIST test images ({table.Source})",
            ["model", "data", "nats / image", "± s.e.", "bits/dim", "estimator"],
            table.Rows.Select(row => (IReadOnlyList<string>)[row.Label, row.Results.Data, F1(row.Results.TestLogLikelihood), F1(row.Results.TestLogLikelihoodStdError),
                row.Results.BitsPerDimension.ToString("F3", CultureInfo.InvariantCulture), row.Results.Estimator])
            .Concat(table.Papers.Select(p => (IReadOnlyList<string>)[p.Label + " (paper)", p.Dataset, F1(p.LogLikelihood), "", "", p.Source])));
        Output.Line("Rows on dequantised data are densities on [0,1)^784 and compare with each other; rows on binarised data are probabilities of binary images and compare with each other only.");
    }

    private static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static Command Sample()
    {
        var model = new Option<string>("--model", "-m") { Description = "A generator: the run folder of 'train density' or 'train gan', or its checkpoint", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Samples to draw (1 to 1024)", DefaultValueFactory = _ => 64 };
        var cmd = Cli.Command("sample", "Draw samples from a trained density model or GAN (dispatched on the model card's family; 'generate' is the GAN's own verb, " +
            "with interpolations and class rows) and write them as one PNG grid (--out, default samples.png).",
            "aperture sample --model runs/vae --count 64 --out vae-samples.png");
        cmd.Add(model); cmd.Add(count);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            int n = r.GetValue(count);
            if (n is < 1 or > 1024) throw new ArgumentException($"--count must be in [1, 1024] (got {n})");
            string output = CommonOptions.OutDir(r, "samples.png");
            if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) output = Path.Combine(output, "samples.png");
            using var scope = NewDisposeScope();
            long seed = r.GetValue(CommonOptions.Seed);
            var generator = TrainedGenerator.Open(r.GetValue(model)!, device);
            var samples = generator.Sample(n, seed);
            OutputFolder.Create(Path.GetDirectoryName(Path.GetFullPath(output))!);
            ImageTensor.Write(output, ImageGrid.Tile(samples, columns: Math.Min(n, 8), padding: 2, scale: 2));
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { model = generator.Name, count = n, seed, png = output });
            else Output.Line($"{n} samples of {generator.Name} written to {output}");
            return 0;
        });
        return cmd;
    }

    private static Command Score()
    {
        var images = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG), made grey and resized to 28x28", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model", "-m") { Description = "A density model: the run folder of 'train density', or its checkpoint", Required = true };
        var outliers = new Option<int>("--outliers") { Description = "Instead of images: score this many Fashion-MNIST test images against as many outliers (uniform noise, upside down, inverted, scene crops) and print the AUROC of each set", DefaultValueFactory = _ => 0 };
        var cmd = Cli.Command("score",
            "Per-image log-likelihood under a trained density model, in nats and bits/dim (dequantised or binarised as the model was trained, with the fixed seed); " +
            "or, with --outliers N, how well the likelihood separates test images from outliers (AUROC).",
            "aperture score shirt.png noise.png --model runs/ppca");
        cmd.Add(images); cmd.Add(model); cmd.Add(outliers);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var files = r.GetValue(images) ?? [];
            int n = r.GetValue(outliers);
            if (n < 0 || n > 10_000) throw new ArgumentException($"--outliers must be in [0, 10000] (got {n})");
            if ((files.Length == 0) == (n == 0)) throw new ArgumentException("give image files to score, or --outliers N (not both)");
            var (density, card) = DensityModels.Load(r.GetValue(model)!, device);
            using var disposeModel = density;
            if (n > 0) return Outliers(r, density, card.Method, n);
            using var scope = NewDisposeScope();
            var batch = stack(files.Select(f => ImageInput.ToItem(ImageTensor.Read(f, grayscale: true), DensityData.ImageSide)).ToArray());
            var x = DensityData.Prepare(batch, density.Data, r.GetValue(CommonOptions.Seed));
            var ll = density.LogLikelihood(x).data<double>().ToArray();
            var rows = files.Select((f, i) => new { image = f, log_likelihood = ll[i], bits_per_dimension = Likelihood.BitsPerDimension(ll[i], density.Dimension, density.Data) }).ToList();
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { model = card.Method, data = density.Data.ToString().ToLowerInvariant(), scores = rows });
            else Output.Table($"log-likelihood under {card.Method} ({density.Data} pixels)", ["image", "nats", "bits/dim"],
                rows.Select(s => (IReadOnlyList<string>)[s.image, F1(s.log_likelihood), s.bits_per_dimension.ToString("F3", CultureInfo.InvariantCulture)]));
            return 0;
        });
        return cmd;
    }

    private static int Outliers(ParseResult r, IDensityModel density, string method, int n)
    {
        using var test = Data.FashionMnist.Load(Data.DatasetSplit.Test, r.GetValue(CommonOptions.Data));
        using var inside = test.Images.narrow(0, 0, Math.Min(n, test.Count));
        using var items = test.Subset(arange(0, inside.shape[0], dtype: ScalarType.Int64));
        long seed = r.GetValue(CommonOptions.Seed);
        var sets = OutlierStudy.Sets(inside, items, seed);
        var scores = OutlierStudy.Score(density, inside, sets, seed);
        foreach (var (_, t) in sets) t.Dispose();
        if (r.GetValue(CommonOptions.Json)) Output.Json(new { model = method, test_images = inside.shape[0], source = test.Source, outliers = scores });
        else Output.Table($"{method}: AUROC of log-likelihood, {inside.shape[0]} test images vs each outlier set (1 = separates, 0.5 = chance, < 0.5 = prefers outliers)",
            ["outliers", "AUROC", "their mean nats"], scores.Select(s => (IReadOnlyList<string>)[s.Set, s.Auroc.ToString("F3", CultureInfo.InvariantCulture), F1(s.MeanLogLikelihood)]));
        return 0;
    }
}
