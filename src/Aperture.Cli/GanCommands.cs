using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative.Gan;

namespace Aperture.Cli;

/// <summary><c>aperture train gan</c> and <c>aperture generate</c>: option wiring for <see cref="GanRun"/> and <see cref="GanSampler"/>.</summary>
internal static class GanCommands
{
    public static void AddTo(RootCommand root)
    {
        Cli.Train(root).Add(TrainGan());
        root.Add(Generate());
    }

    private static Command TrainGan()
    {
        var model = new Option<string>("--model", "-m") { Description = string.Join("; ", Gans.All.Select(m => $"{m.Name}: {m.Description}")), DefaultValueFactory = _ => Gans.Names[0] };
        model.AcceptOnlyFromAmong(Gans.Names.ToArray());
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 5 };
        var set = new Option<string[]>("--set")
        {
            Description = "Change a GAN option, name=value, repeatable (e.g. --set label_smoothing=0.1 --set ema_decay=0 --set loss=minimax); a wrong name lists them all",
            AllowMultipleArgumentsPerToken = true,
        };
        var limit = new Option<int>("--limit") { Description = "Train on at most this many images (0: all)", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out (both networks, both optimizers, the moving average)" };

        var cmd = Cli.Command("gan",
            "Train a GAN on Fashion-MNIST: DCGAN or the class-conditional GAN. Writes a fixed-noise sample grid per epoch (samples/), " +
            "says plainly when training diverges or collapses (and exits with 3), and ends with samples and latent interpolations. The run folder is the model.",
            "aperture train gan --model dcgan --epochs 5 --out runs/dcgan");
        foreach (var o in new Option[] { model, epochs, set, limit, resume }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string name = r.GetValue(model)!;
            bool json = r.GetValue(CommonOptions.Json);
            using var progress = CommonOptions.Progress(r);
            var settings = new GanSettings
            {
                Model = name, OutputDirectory = CommonOptions.OutDir(r, Path.Combine("runs", name)), Seed = r.GetValue(CommonOptions.Seed),
                Epochs = r.GetValue(epochs), Set = r.GetValue(set) ?? [], Limit = r.GetValue(limit), Resume = r.GetValue(resume),
                Progress = ProgressMode.Auto, Log = progress.Log,
            };
            settings.Plan(); // every option checked before any data is read
            OutputFolder.Create(settings.OutputDirectory);
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            var (results, _) = GanRun.Execute(settings, train, device);
            progress.Dispose();
            if (json) Output.Json(results);
            else
            {
                var l = results.Last;
                Output.Line($"{name}: {results.Epochs} epochs on {results.TrainImages} images in {results.TrainSeconds:F0} s ({results.TrainImagesPerSecond:F0} img/s)");
                if (l is not null)
                    Output.Line(string.Create(CultureInfo.InvariantCulture,
                        $"last epoch: d_loss {l.DLoss:F3}, g_loss {l.GLoss:F3}, D(x) {l.DReal:F2}, D(G(z)) {l.DFake:F2}, sample diversity {l.Diversity:P0} of real images'"));
                Output.Line($"health: {results.HealthMessage}");
                Output.Line($"model: {results.Checkpoint}; figures: {string.Join(", ", results.Figures)}; per-epoch grids in {Path.GetDirectoryName(results.EpochGrids.LastOrDefault() ?? "")}");
            }
            return results.Health == "healthy" ? 0 : 3;
        });
        return cmd;
    }

    private static Command Generate()
    {
        var model = new Option<string>("--model", "-m") { Description = "A GAN: the run folder of 'train gan' (its last checkpoint), or a checkpoint", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Images to generate (a conditional GAN cycles through the classes)", DefaultValueFactory = _ => 64 };
        var interpolate = new Option<string?>("--interpolate") { Description = "Instead: latent interpolation, linear or spherical (8 rows of 10)" };
        var classes = new Option<bool>("--classes") { Description = "Instead (conditional GAN): one row per class, --count columns" };
        var fid = new Option<string?>("--fid")
        {
            Description = "Instead: the Fréchet distance of --count samples to the Fashion-MNIST test set on the features of this classifier run " +
                "('train classify'), with real-vs-real and a random-init generator for scale, and (conditional) how often the classifier names the conditioning class. Not comparable to Inception FID.",
        };
        var cmd = Cli.Command("generate",
            "Draw images from a trained GAN into a PNG grid (samples.png in --out), or a latent interpolation, or one row per class.",
            "aperture generate --model runs/dcgan --count 64 --out runs/dcgan/generated");
        cmd.Add(model); cmd.Add(count); cmd.Add(interpolate); cmd.Add(classes); cmd.Add(fid);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            int n = r.GetValue(count);
            if (n is < 1 or > 10_000) throw new ArgumentException($"--count must be in 1..10000 (got {n})");
            string? mode = r.GetValue(interpolate)?.Trim().ToLowerInvariant();
            if (mode is not (null or "linear" or "spherical")) throw new ArgumentException($"--interpolate must be linear or spherical (got '{mode}')");
            var (sampler, card) = Gans.Load(r.GetValue(model)!, device);
            long seed = r.GetValue(CommonOptions.Seed);
            if (r.GetValue(fid) is string classifier)
            {
                using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
                using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
                var q = SampleQuality.Measure(classifier, sampler, test, train, n, seed);
                if (r.GetValue(CommonOptions.Json)) Output.Json(q);
                else
                {
                    string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
                    Output.Table($"Fréchet distance on {q.Classifier} features ({q.Samples} samples vs {q.RealImages} test images; not Inception FID)",
                        ["real vs real (floor)", card.Method, "random-init generator"], [[F(q.RealVsReal), F(q.Generator), F(q.RandomGenerator)]]);
                    if (q.ConditioningAccuracy is double acc)
                        Output.Line($"{q.Classifier} assigns {acc.ToString("P1", CultureInfo.InvariantCulture)} of the samples to their conditioning class");
                }
                return 0;
            }
            string outDir = OutputFolder.Create(CommonOptions.OutDir(r, "generated"));
            string path = mode is not null
                ? sampler.WriteInterpolation(Path.Combine(outDir, $"interpolation-{mode}.png"), 8, 10, mode == "spherical", seed)
                : r.GetValue(classes)
                    ? sampler.WriteClassRows(Path.Combine(outDir, "classes.png"), Math.Min(n, 32), seed)
                    : sampler.WriteSamples(Path.Combine(outDir, "samples.png"), n, seed);
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { model = card.Method, count = n, image = Path.GetFullPath(path) });
            else Output.Line($"{card.Method}: wrote {Path.GetFullPath(path)}");
            return 0;
        });
        return cmd;
    }
}
