using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative;
using Aperture.Generative.ContextEncoders;
using Aperture.Generative.Transfer;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary>
/// <c>aperture train autoencoder</c>, <c>train context-encoder</c>, <c>inpaint</c> and <c>transfer</c>: option wiring for
/// <see cref="FeatureLearnerRun"/>, <see cref="InpaintingEvaluation"/> and <see cref="FewLabelTransfer"/>.
/// </summary>
internal static class FeatureCommands
{
    public static void AddTo(RootCommand root)
    {
        Cli.Train(root).Add(TrainLearner("autoencoder", FeatureLearnerKind.AutoEncoder,
            "Train a bottleneck convolutional auto-encoder (ae) or a denoising one (dae: Vincent et al. 2008, masking noise; --set noise=gaussian --set noise_level=0.3) " +
            "on Fashion-MNIST; ends with the test reconstruction error and reconstructions.png. Its encoder is what 'aperture transfer' reuses.",
            "aperture train autoencoder --model dae --epochs 5 --out runs/dae"));
        Cli.Train(root).Add(TrainLearner("context-encoder", FeatureLearnerKind.ContextEncoder,
            "Train a context encoder (Pathak et al. 2016): fill in a masked region (--set mask=centre or random_block) with L2 + adversarial loss " +
            "(context-encoder, λ_adv = 0.001) or L2 alone (context-l2); ends with L1, L2 and PSNR over the masked region of test images against " +
            "the mean-image and nearest-neighbour baselines, and inpainting.png. --resume restores both networks and both optimizers.",
            "aperture train context-encoder --model context-encoder --epochs 5 --out runs/context"));
        root.Add(Inpaint());
        root.Add(Transfer());
    }

    private static Command TrainLearner(string verb, FeatureLearnerKind kind, string description, string example)
    {
        var names = FeatureLearners.Names(kind);
        var model = new Option<string>("--model", "-m")
        {
            Description = string.Join("; ", FeatureLearners.All.Where(m => m.Kind == kind).Select(m => $"{m.Name}: {m.Description}")),
            DefaultValueFactory = _ => names[0],
        };
        model.AcceptOnlyFromAmong(names.ToArray());
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 5 };
        var set = new Option<string[]>("--set") { Description = "Change an option, name=value, repeatable; a wrong name lists them all", AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int>("--limit") { Description = "Train on at most this many images (0: all)", DefaultValueFactory = _ => 0 };
        var validation = new Option<int>("--validation") { Description = "Training images held out to pick the best epoch", DefaultValueFactory = _ => 5000 };
        var testImages = new Option<int>("--test-images") { Description = "Test images scored at the end", DefaultValueFactory = _ => 2000 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out (every network and optimizer)" };
        var cmd = Cli.Command(verb, description, example);
        foreach (var o in new Option[] { model, epochs, set, limit, validation, testImages, resume }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string name = r.GetValue(model)!;
            using var progress = CommonOptions.Progress(r);
            var settings = new FeatureLearnerSettings
            {
                Model = name, OutputDirectory = CommonOptions.OutDir(r, Path.Combine("runs", name)), Seed = r.GetValue(CommonOptions.Seed),
                Epochs = r.GetValue(epochs), Set = r.GetValue(set) ?? [], Limit = r.GetValue(limit), Validation = r.GetValue(validation),
                TestImages = r.GetValue(testImages), Resume = r.GetValue(resume), Progress = ProgressMode.Auto, Log = progress.Log,
            };
            settings.Plan(); // every option checked before any data is read
            OutputFolder.Create(settings.OutputDirectory);
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            var results = FeatureLearnerRun.Execute(settings, train, test, device);
            progress.Dispose();
            if (r.GetValue(CommonOptions.Json)) Output.Json(results);
            else
            {
                Output.Line($"{name}: {results.Epochs} epochs on {results.TrainImages} images in {results.TrainSeconds:F0} s ({results.TrainImagesPerSecond:F0} img/s); " +
                    $"best epoch {results.BestEpoch} by held-out {results.BestMetric} {results.BestValue:G4}");
                if (results.TestReconstructionMse is double mse)
                    Output.Line(string.Create(CultureInfo.InvariantCulture, $"test reconstruction MSE {mse:F5} on [0, 1] pixels (PSNR {-10 * Math.Log10(mse):F2} dB)"));
                if (results.Inpainting is { } table) PrintInpainting(table);
                Output.Line($"model: {results.Checkpoint}; figures: {string.Join(", ", results.Figures)}");
            }
            return 0;
        });
        return cmd;
    }

    internal static void PrintInpainting(InpaintingTable table)
    {
        Output.Table($"inpainting, {table.Mask} mask, {table.Images} test images (over the masked region, pixels in [0, 1]; Pathak et al. 2016 table 1)",
            ["method", "mean L1", "mean L2", "PSNR (dB)"],
            table.Rows.Select(s => (IReadOnlyList<string>)[s.Method, Percent(s.L1), Percent(s.L2), s.Psnr.ToString("F2", CultureInfo.InvariantCulture)]));
    }

    private static string Percent(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static Command Inpaint()
    {
        var images = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG), made grey and resized to 28x28", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string>("--model", "-m") { Description = "A context encoder: the run folder of 'train context-encoder', or a checkpoint", Required = true };
        var mask = new Option<string?>("--mask") { Description = "centre or random_block (default: the mask the model was trained with)" };
        var evaluate = new Option<int>("--evaluate") { Description = "Instead of images: score this many Fashion-MNIST test images against the mean-image and nearest-neighbour baselines", DefaultValueFactory = _ => 0 };
        var cmd = Cli.Command("inpaint",
            "Fill in the masked region of images with a trained context encoder; writes inpainting.png (rows: masked input, fill, original) into --out. " +
            "With --evaluate N: L1, L2 and PSNR over the masked region on N test images against the two baselines.",
            "aperture inpaint shirt.png bag.png --model runs/context --out inpainted");
        cmd.Add(images); cmd.Add(model); cmd.Add(mask); cmd.Add(evaluate);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var files = r.GetValue(images) ?? [];
            int n = r.GetValue(evaluate);
            if (n is < 0 or > 10_000) throw new ArgumentException($"--evaluate must be in 0..10000 (got {n})");
            if ((files.Length == 0) == (n == 0)) throw new ArgumentException("give image files to inpaint, or --evaluate N (not both)");
            var kindName = r.GetValue(mask)?.Trim().ToLowerInvariant();
            MaskKind? kind = kindName switch
            {
                null => null,
                "centre" or "center" => MaskKind.Centre,
                "random_block" or "random-block" => MaskKind.RandomBlock,
                _ => throw new ArgumentException($"--mask must be centre or random_block (got '{kindName}')"),
            };
            var (network, options, card) = FeatureLearners.LoadContextEncoder(r.GetValue(model)!, device);
            var useKind = kind ?? options.Mask;
            string outDir = OutputFolder.Create(CommonOptions.OutDir(r, "inpainted"));
            bool json = r.GetValue(CommonOptions.Json);
            if (n > 0)
            {
                using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
                using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
                var (table, fills) = InpaintingEvaluation.Run(network, useKind, train, test, n, card.Method);
                string figure;
                using (fills) figure = InpaintingEvaluation.WriteFigure(Path.Combine(outDir, "inpainting.png"), fills);
                if (json) Output.Json(new { model = card.Method, inpainting = table, figure = Path.GetFullPath(figure) });
                else { PrintInpainting(table); Output.Line($"figure: {Path.GetFullPath(figure)}"); }
                return 0;
            }
            using var scope = NewDisposeScope();
            var truth = stack(files.Select(f => ImageInput.ToItem(ImageTensor.Read(f, grayscale: true), 28)).ToArray()).to(ScalarType.Float32).div(255);
            using var generator = new Generator((ulong)r.GetValue(CommonOptions.Seed));
            var holes = InpaintingMask.Draw(useKind, files.Length, generator);
            var filled = InpaintingEvaluation.Inpaint(network, truth, holes);
            var shown = ((truth * 2 - 1) * (1 - holes) + holes * ContextEncoderNetwork.FillValue).add(1).div(2);
            string path = Path.Combine(outDir, "inpainting.png");
            ImageTensor.Write(path, ImageGrid.Tile(cat([shown, filled, truth], 0), columns: files.Length, padding: 2, scale: 4));
            var score = InpaintingMetrics.Score(card.Method, filled, truth, holes);
            if (json) Output.Json(new { model = card.Method, mask = useKind.ToString().ToLowerInvariant(), images = files, score, figure = Path.GetFullPath(path) });
            else Output.Line(string.Create(CultureInfo.InvariantCulture,
                $"{card.Method}: {files.Length} images inpainted ({useKind} mask) into {Path.GetFullPath(path)}; over the hole: L1 {Percent(score.L1)}, L2 {Percent(score.L2)}, PSNR {score.Psnr:F2} dB"));
            return 0;
        });
        return cmd;
    }

    private static Command Transfer()
    {
        var encoders = new Option<string[]>("--encoder", "-e")
        {
            Description = "Pre-trained feature learners (runs of 'train autoencoder' or 'train context-encoder'), repeatable; each gets a frozen and a fine-tuned column",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var labels = new Option<int[]>("--labels") { Description = "Labelled training images, repeatable (default 100 1000 10000)", AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<int?>("--seeds") { Description = "Seeds per label count (default 3)" };
        var set = new Option<string[]>("--set") { Description = "Change the protocol: steps, batch_size, learning_rate, fine_tune_rate, weight_decay", AllowMultipleArgumentsPerToken = true };
        var testLimit = new Option<int>("--test-limit") { Description = "Score the first this many test images (0: all 10,000)", DefaultValueFactory = _ => 0 };
        var cmd = Cli.Command("transfer",
            "Few-label transfer: train the same classifier on 100 / 1,000 / 10,000 class-balanced labelled images from scratch, on each pre-trained encoder's " +
            "frozen features (linear head), and fine-tuned; several seeds; test accuracy mean ± spread on the whole test set.",
            "aperture transfer --encoder runs/dae --encoder runs/context --labels 100 --seeds 3");
        cmd.Add(encoders); cmd.Add(labels); cmd.Add(seeds); cmd.Add(set); cmd.Add(testLimit);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var options = (FewLabelOptions)OptionAssignments.Apply(new FewLabelOptions(), r.GetValue(set) ?? []);
            if (r.GetValue(labels) is { Length: > 0 } l) options = options with { Labels = l };
            if (r.GetValue(seeds) is int s) options = options with { Seeds = s };
            options.Validate();
            var runs = (r.GetValue(encoders) ?? []).Select(e => (Label: FeatureLearners.Open(e).Card.Method, Run: e)).ToList();
            runs = runs.Select(e => runs.Count(o => o.Label == e.Label) > 1 ? (Path.GetFileName(Path.TrimEndingDirectorySeparator(e.Run)), e.Run) : e).ToList();
            using var progress = CommonOptions.Progress(r);
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            var table = FewLabelTransfer.Run(runs, train, test, options, device, progress.Log, r.GetValue(testLimit));
            progress.Dispose();
            if (r.GetValue(CommonOptions.Json)) Output.Json(table);
            else PrintTransfer(table);
            return 0;
        });
        return cmd;
    }

    private static void PrintTransfer(FewLabelTable table)
    {
        var columns = table.Cells.Select(c => (c.Encoder, c.Mode)).Distinct().ToList();
        Output.Table($"test accuracy on {table.TestImages} Fashion-MNIST test images, mean ± sample std over {table.Options.Seeds} seeds ({table.Source})",
            ["labels", .. columns.Select(c => c.Mode == "scratch" ? c.Encoder : $"{c.Encoder} {c.Mode}")],
            table.Options.Labels.Select(n => (IReadOnlyList<string>)[n.ToString(CultureInfo.InvariantCulture),
                .. columns.Select(c => table.Cells.FirstOrDefault(x => x.Labels == n && x.Encoder == c.Encoder && x.Mode == c.Mode) is { } cell
                    ? string.Create(CultureInfo.InvariantCulture, $"{100 * cell.Mean:F1} ± {100 * cell.Spread:F1}") : "")]));
        var pretrained = columns.Where(c => c.Mode != "scratch").ToList();
        Output.Table("accuracy points over scratch on the same label draw (paired per seed): mean ± sample std",
            ["labels", .. pretrained.Select(c => $"{c.Encoder} {c.Mode}")],
            table.Options.Labels.Select(n => (IReadOnlyList<string>)[n.ToString(CultureInfo.InvariantCulture),
                .. pretrained.Select(c => table.Cells.FirstOrDefault(x => x.Labels == n && x.Encoder == c.Encoder && x.Mode == c.Mode) is { GainOverScratch: double g } cell
                    ? string.Create(CultureInfo.InvariantCulture, $"{100 * g:+0.0;-0.0} ± {100 * cell.GainSpread:F1}") : "")]));
    }
}
