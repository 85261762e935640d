using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;
using Aperture.Segmentation;
using Aperture.Segmentation.VNet;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture train segment</c> and <c>aperture segment</c>.</summary>
internal static class SegmentCommands
{
    public static void AddTo(RootCommand root)
    {
        Cli.Train(root).Add(TrainSegment());
        root.Add(Segment());
    }

    private static Command TrainSegment()
    {
        var model = new Option<string>("--model")
        {
            Description = string.Join("; ", Segmenters.All.Select(m => $"{m.Name}: {m.Description}")
                .Append($"{VNetSegmenter.Method}: V-Net (Milletari et al. 2016) on 3-D volumes: generated ones, or a --data-root of NIfTI image/label pairs")),
            Required = true,
        };
        model.AcceptOnlyFromAmong([.. Segmenters.Names, VNetSegmenter.Method]);
        var dataRoot = new Option<string?>("--data-root") { Description = "Dataset folder: Pascal VOC (SegmentationClass/*.png masks, palette or grey, 255 = ignore) or COCO (polygons / RLE) with train/val/test splits (default: generate scenes into <out>/scenes)" };
        var format = new Option<string>("--format") { Description = "auto, voc or coco", DefaultValueFactory = _ => "auto" };
        var scenes = new Option<int?>("--scenes") { Description = "Scenes to generate when --data-root is not given (80/10/10 train/val/test; default: the recipe's)" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the model's recipe)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the recipe's)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam or adamw (default: the recipe's)" };
        var batch = new Option<int?>("--batch-size") { Description = "Images per batch (default: the recipe's)" };
        var crop = new Option<int>("--crop") { Description = "Training window side in pixels (0: the images' smaller side, at most 256)", DefaultValueFactory = _ => 0 };
        var set = new Option<string[]>("--set") { Description = "Change a model option, name=value, repeatable (e.g. --set base_width=32 --set depth=4); a wrong name lists them all", AllowMultipleArgumentsPerToken = true };
        var from = new Option<string?>("--from") { Description = "For a model trained in stages (fcn16s, fcn8s, context module): the run folder of the stage it starts from (default: train that stage first in <out>/stages/)" };
        var schedule = new Option<string?>("--schedule") { Description = "constant, step or cosine (default: the recipe's)" };
        var balance = new Option<bool?>("--balance-classes") { Description = "Weigh the loss by median-frequency class weights (Eigen & Fergus 2015), so background does not drown small objects (default: the recipe's; --balance-classes false turns it off)" };
        var tolerance = new Option<double>("--boundary-tolerance") { Description = "Boundary F1 distance tolerance in pixels", DefaultValueFactory = _ => 2 };
        var limitTrain = new Option<int>("--limit-train") { Description = "Use at most this many training images (0: all)", DefaultValueFactory = _ => 0 };
        var limitTest = new Option<int>("--limit-test") { Description = "Evaluate on at most this many test images (0: all)", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out" };

        var cmd = Cli.Command("segment",
            "Train a semantic segmenter on generated scenes or a VOC/COCO dataset, then score it on the held-out split: pixel accuracy, mean accuracy, mean IU, frequency-weighted IU, boundary F1; figures of image | truth | prediction. The run folder is the model.",
            "aperture train segment --model unet --out runs/unet");
        foreach (var o in new Option[] { model, dataRoot, format, scenes, epochs, lr, optimizer, schedule, batch, crop, set, from, balance, tolerance, limitTrain, limitTest, resume }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            if (r.GetValue(model) == VNetSegmenter.Method)
                return TrainVolumes(r, device, r.GetValue(dataRoot), r.GetValue(epochs), r.GetValue(lr), r.GetValue(set) ?? [], r.GetValue(resume));
            var m = Segmenters.Find(r.GetValue(model)!);
            var recipe = m.Recipe(RunBudget.Default).With(r.GetValue(set) ?? []); // a wrong --set fails before any data is made
            string outDir = CommonOptions.OutDir(r, Path.Combine("runs", m.Name));
            bool json = r.GetValue(CommonOptions.Json);
            long seed = r.GetValue(CommonOptions.Seed);
            using var progress = CommonOptions.Progress(r);
            var log = progress.Log;
            string root = r.GetValue(dataRoot) ?? ScenesWriter.Ensure(Path.Combine(outDir, "scenes"), r.GetValue(scenes) ?? recipe.Scenes, seed, r.GetValue(CommonOptions.Data), log);
            int limit = r.GetValue(limitTrain);
            using var data = SegmentationData.Load(root, DatasetFormats.Parse(r.GetValue(format)!), limit, Math.Max(50, limit / 8), r.GetValue(limitTest));
            log?.WriteLine($"data: {root} ({data.Format}); {data.Train.Count} training, {data.Validation.Count} validation, {data.Test.Count} test images; {data.ClassNames.Count} classes + background");
            using var outcome = SegmentationRun.Execute(new SegmentationSettings
            {
                Method = m.Name, OutputDirectory = outDir, Seed = seed, Epochs = r.GetValue(epochs), LearningRate = r.GetValue(lr), Schedule = r.GetValue(schedule) is string sk ? TrainingOptions.ParseSchedule(sk) : null,
                Optimizer = r.GetValue(optimizer) is string o ? TrainingOptions.ParseOptimizer(o) : null, BatchSize = r.GetValue(batch), Set = r.GetValue(set) ?? [],
                Crop = r.GetValue(crop), From = r.GetValue(from), BoundaryTolerance = r.GetValue(tolerance), BalanceClasses = r.GetValue(balance), Resume = r.GetValue(resume), Progress = ProgressMode.Auto, Log = log,
            }, data, device);
            progress.Dispose();
            var res = outcome.Results;
            if (json) Output.Json(res);
            else
            {
                Output.Line(outcome.Training.Message);
                Output.Table($"{m.Name} on {res.TestImages} held-out images", ["pixel acc", "mean acc", "mean IU", "fw IU", $"boundary F1 ({res.BoundaryTolerance:0.#} px)", "field (px)", "ms/image"],
                    [[F(res.PixelAccuracy), F(res.MeanAccuracy), F(res.MeanIoU), F(res.FrequencyWeightedIoU), F(res.BoundaryF1), res.ReceptiveField.ToString(CultureInfo.InvariantCulture),
                      res.MsPerImage.ToString("F1", CultureInfo.InvariantCulture)]]);
                Output.Line($"model: {res.Checkpoint}; figure: {string.Join(", ", res.Figures)}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary><c>segment VOLUME.nii.gz --model RUN</c> with a V-Net: label volumes on the input's grid and affine.</summary>
    private static int SegmentVolumes(ParseResult r, Device device, string run, BatchResults batch)
    {
        var files = batch.Images;
        foreach (string f in files)
            if (!IsNifti(f)) throw new ArgumentException($"{f}: a V-Net segments NIfTI volumes (.nii, .nii.gz), not images");
        var segmenter = VNetSegmenter.Load(run, device);
        string outDir = CommonOptions.OutDir(r, ".");
        var written = new List<object>();
        foreach (string f in files)
        {
            string name = Path.GetFileName(f);
            string output = Path.Combine(outDir, name[..name.IndexOf(".nii", StringComparison.OrdinalIgnoreCase)] + "-labels.nii.gz");
            var counts = segmenter.SegmentFile(f, output);
            written.Add(new { volume = f, labels = output, voxels_per_class = counts });
            batch.Add(written[^1]);
            if (!r.GetValue(CommonOptions.Json)) Output.Line($"{f}: wrote {output} (voxels per class: {string.Join(", ", counts)})");
        }
        string? results = BatchInputs.WriteToOut(r, batch);
        if (r.GetValue(CommonOptions.Json)) Output.Json(written);
        else if (results is not null) Output.Line(BatchInputs.Describe(batch, results));
        return 0;
    }

    /// <summary><c>train segment --model vnet</c>: the 3-D run (its own data: volumes, not images).</summary>
    private static int TrainVolumes(ParseResult r, Device device, string? dataRoot, int? epochs, double? lr, string[] set, bool resume)
    {
        string outDir = CommonOptions.OutDir(r, Path.Combine("runs", VNetSegmenter.Method));
        using var progress = CommonOptions.Progress(r);
        var outcome = VolumeSegmentationRun.Execute(new VolumeSegmentationSettings
        {
            OutputDirectory = outDir, DataRoot = dataRoot, Seed = r.GetValue(CommonOptions.Seed), Epochs = epochs, LearningRate = lr, Set = set,
            Resume = resume, Progress = ProgressMode.Auto, Log = progress.Log,
        }, device);
        progress.Dispose();
        var res = outcome.Results;
        if (r.GetValue(CommonOptions.Json)) Output.Json(res);
        else
        {
            Output.Line(outcome.Result.Message);
            Output.Table($"vnet on {res.TestVolumes} held-out volumes", ["class", "Dice (pooled)"],
                res.PerClassDice.Select(c => (IReadOnlyList<string>)[c.Class, c.Dice is double d ? F(d) : "-"])
                    .Append(["mean", F(res.MeanDice)]));
            Output.Line($"model: {res.Checkpoint}; figure: {string.Join(", ", res.Figures)}");
        }
        return 0;
    }

    private static bool IsNifti(string file) => file.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static Command Segment()
    {
        var model = new Option<string>("--model", "-m") { Description = "A segmenter: the run folder of 'train segment', or one of its checkpoints", Required = true };
        var overlay = new Option<bool>("--overlay") { Description = "Write <out>/<stem>-overlay.png: the predicted classes painted over the image" };
        var masks = new Option<bool>("--mask") { Description = "Write <out>/<stem>-mask.png: the label mask (0 background, class id + 1), readable as VOC SegmentationClass" };
        var tile = new Option<int>("--tile") { Description = "Run images larger than this tile by tile (sliding window; bounded memory); 0 runs them whole", DefaultValueFactory = _ => 512 };
        var overlap = new Option<int>("--overlap") { Description = "Pixels shared by neighbouring tiles", DefaultValueFactory = _ => 128 };
        var cmd = Cli.Command("segment", "Segment images of any size with a trained segmenter; prints the classes found and writes overlays and label masks; with --out, also <out>/segments.json (times in segments.timings.json).",
            "aperture segment scene.png --model runs/unet --overlay");
        var inputs = new BatchInputs(cmd, "Image files (PNG, JPEG), any size, or NIfTI volumes (.nii, .nii.gz) for a V-Net");
        cmd.Add(model); cmd.Add(overlay); cmd.Add(masks); cmd.Add(tile); cmd.Add(overlap);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var batch = inputs.Plan(r, "segments", [.. ImageManifest.ImageExtensions, ".nii", ".nii.gz"], "ms");
            if (RunFolder.Open(r.GetValue(model)!, ModelFamily.Segmenter).Card.Method == VNetSegmenter.Method)
                return SegmentVolumes(r, device, r.GetValue(model)!, batch);
            var (network, card, _) = Segmenters.Load(r.GetValue(model)!, device);
            var inference = new SegmentationInference(r.GetValue(tile), r.GetValue(overlap));
            inference.Validate();
            string outDir = CommonOptions.OutDir(r, ".");
            var files = batch.Images;
            bool json = r.GetValue(CommonOptions.Json);
            var all = new List<ImageSegmentationResult>();
            foreach (string file in files)
            {
                string stem = Path.Combine(outDir, Path.GetFileNameWithoutExtension(file));
                bool drawOverlay = r.GetValue(overlay) || (!r.GetValue(masks) && !json);
                var found = ImageSegmentation.Run(network, card, inference, file, drawOverlay ? stem + "-overlay.png" : null, r.GetValue(masks) ? stem + "-mask.png" : null);
                all.Add(found);
                batch.Add(found);
                if (!json)
                    Output.Table($"{Path.GetFileName(file)}: {found.Width}x{found.Height}, {card.Method}, {found.Ms:F0} ms", ["class", "share of pixels"],
                        found.Classes.OrderByDescending(kv => kv.Value).Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("P1", CultureInfo.InvariantCulture)]));
                if (!json && (found.Overlay ?? found.Mask) is not null) Output.Line($"wrote {string.Join(", ", new[] { found.Overlay, found.Mask }.Where(p => p is not null))}");
            }
            network.Dispose();
            string? results = BatchInputs.WriteToOut(r, batch);
            if (json) Output.Json(all);
            else if (results is not null) Output.Line(BatchInputs.Describe(batch, results));
            return 0;
        });
        return cmd;
    }
}
