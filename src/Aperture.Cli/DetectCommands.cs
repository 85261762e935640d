using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Detection;
using Aperture.Imaging;
using Aperture.Ops;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture train detect</c> and <c>aperture detect</c>.</summary>
internal static class DetectCommands
{
    public static void AddTo(RootCommand root)
    {
        Cli.Train(root).Add(TrainDetect());
        root.Add(Detect());
    }

    private static Option<string> ProposalsOption() => new("--proposals")
    {
        Description = "Selective search mode for methods that use proposals: single, fast or quality",
        DefaultValueFactory = _ => "fast",
    };

    private static Command TrainDetect()
    {
        var method = new Option<string>("--method") { Description = string.Join("; ", Detectors.All.Select(m => $"{m.Name}: {m.Description}")), Required = true };
        method.AcceptOnlyFromAmong(Detectors.Names.ToArray());
        var dataRoot = new Option<string?>("--data-root") { Description = "Dataset folder in Pascal VOC or COCO layout with train/val/test splits (default: generate scenes into <out>/scenes)" };
        var format = new Option<string>("--format") { Description = "auto, voc or coco", DefaultValueFactory = _ => "auto" };
        var scenes = new Option<int?>("--scenes") { Description = "Scenes to generate when --data-root is not given (80/10/10 train/val/test; default: the recipe's, 3,750 for Fast R-CNN, else 1,500)" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the method's recipe)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default: the recipe's)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam or adamw (default: the recipe's)" };
        var set = new Option<string[]>("--set") { Description = "Change a method option, name=value, repeatable (e.g. --set roi_align=false --set rois_per_image=128); a wrong name lists them all", AllowMultipleArgumentsPerToken = true };
        var proposals = ProposalsOption();
        var maxProposals = new Option<int>("--max-proposals") { Description = "Most proposals per image", DefaultValueFactory = _ => 2000 };
        var limitTrain = new Option<int>("--limit-train") { Description = "Use at most this many training images (0: all)", DefaultValueFactory = _ => 0 };
        var limitTest = new Option<int>("--limit-test") { Description = "Evaluate on at most this many test images (0: all)", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out, with its model card's options and --set's changes on top" };
        var init = new Option<string?>("--init")
        {
            Description = "Where the conv body starts: the run folder (or checkpoint) of 'aperture train classify --model backbone-fc', or 'scratch' "
                + "(default: the recipe's — fast-rcnn and rcnn start from the backbone-fc classifier shipped with Aperture, copied into <out>/pretrain; sliding starts from scratch)",
        };
        var pretrainEpochs = new Option<int?>("--pretrain-epochs") { Description = "Without --init: pre-train the body here for this many epochs (backbone-fc into <out>/pretrain, as the shipped body was made) instead of the recipe's start; 0 from scratch" };
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: constant, step or cosine (default: the recipe's)" };
        var patience = new Option<int?>("--patience") { Description = "Stop after this many epochs without a better validation score; 0 never (default: the recipe's)" };

        var cmd = Cli.Command("detect",
            "Train an object detector on a VOC/COCO dataset or generated scenes, then score it on the test split: VOC mAP@0.5, COCO mAP, ms per image, example detections. The run folder is the model.",
            "aperture train detect --method fast-rcnn --out runs/fast-rcnn");
        foreach (var o in new Option[] { method, dataRoot, format, scenes, epochs, lr, optimizer, set, proposals, maxProposals, limitTrain, limitTest, resume, init, pretrainEpochs, schedule, patience }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var m = Detectors.Find(r.GetValue(method)!);
            string outDir = CommonOptions.OutDir(r, Path.Combine("runs", m.Name));
            bool json = r.GetValue(CommonOptions.Json);
            long seed = r.GetValue(CommonOptions.Seed);
            var settings = new DetectionSettings
            {
                Method = m.Name, OutputDirectory = outDir, Seed = seed, Epochs = r.GetValue(epochs), LearningRate = r.GetValue(lr),
                Optimizer = r.GetValue(optimizer) is string o ? TrainingOptions.ParseOptimizer(o) : null, Set = r.GetValue(set) ?? [],
                Resume = r.GetValue(resume), Progress = ProgressMode.Auto, Init = r.GetValue(init), PretrainEpochs = r.GetValue(pretrainEpochs),
                Schedule = r.GetValue(schedule) is string sc ? TrainingOptions.ParseSchedule(sc) : null, Patience = r.GetValue(patience),
                FashionMnist = r.GetValue(CommonOptions.Data),
            };
            // Every option is checked before any data is read or generated.
            var (_, recipe, _) = DetectionRun.Plan(settings);
            var datasetFormat = DatasetFormats.Parse(r.GetValue(format)!);
            var proposalMode = SelectiveSearchProposals.ParseMode(r.GetValue(proposals)!);
            string? userRoot = r.GetValue(dataRoot);
            int sceneCount = r.GetValue(scenes) ?? recipe.Scenes, limit = r.GetValue(limitTrain), testLimit = r.GetValue(limitTest), maxBoxes = r.GetValue(maxProposals);
            if (userRoot is not null && !Directory.Exists(userRoot)) throw new DirectoryNotFoundException($"--data-root {userRoot}: no such folder");
            if (userRoot is null && sceneCount < 10) throw new ArgumentException($"--scenes must be at least 10 (train, validation and test each need some; got {sceneCount})");
            if (limit < 0 || testLimit < 0) throw new ArgumentException($"--limit-train and --limit-test must be >= 0 (got {limit}, {testLimit})");
            if (maxBoxes < 1) throw new ArgumentException($"--max-proposals must be >= 1 (got {maxBoxes})");
            Aperture.Core.OutputFolder.Create(outDir); // an unwritable --out fails now, not after the proposals are computed

            using var progress = CommonOptions.Progress(r);
            var log = progress.Log;
            string root = userRoot ?? DetectionData.Scenes(Path.Combine(outDir, "scenes"), sceneCount, seed, r.GetValue(CommonOptions.Data), log);
            using var data = DetectionData.Load(root, datasetFormat, limit, limit > 0 ? Math.Max(50, limit / 8) : int.MaxValue, testLimit);
            log?.WriteLine($"data: {root} ({data.Format}); {data.Train.Count} training, {data.Validation.Count} validation, {data.Test.Count} test images; {data.ClassNames.Count} classes");
            if (m.UsesProposals)
                data.AttachProposals(new SelectiveSearchProposals(proposalMode, maxBoxes, seed), Path.Combine(outDir, "proposals"), log);
            var outcome = DetectionRun.Execute(settings with { Log = log }, data, device);
            progress.Dispose();
            outcome.Score.DisposeDetections();
            var res = outcome.Results;
            if (json) Output.Json(res);
            else
            {
                Output.Line(outcome.Trained.Result.Message);
                Output.Table($"{m.Name} on {res.TestImages} test images", ["VOC mAP@0.5", "95% interval", "COCO mAP", "ms/image", "ms/image with proposals"],
                    [[F(res.VocMap50), res.VocMap50Interval95 is [var lo, var hi] ? $"{F(lo)}–{F(hi)}" : "", F(res.CocoMap), res.MsPerImage.ToString("F1", CultureInfo.InvariantCulture), res.MsPerImageWithProposals.ToString("F1", CultureInfo.InvariantCulture)]]);
                Output.Line(res.Pretraining is { } pre
                    ? $"body: pre-trained {pre.Classifier} ({pre.Checkpoint}{(pre.TestAccuracy is double acc ? $", test accuracy {acc:P1}" : "")}{(pre.Reused ? ", reused" : $", {pre.Seconds:F0} s")})"
                    : "body: trained from scratch");
                Output.Line($"model: {res.Checkpoint}; figures: {string.Join(", ", res.Figures)}");
            }
            return 0;
        });
        return cmd;
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static Command Detect()
    {
        var model = new Option<string>("--model", "-m") { Description = "A detector: the run folder of 'train detect', or one of its checkpoints", Required = true };
        var draw = new Option<string?>("--draw") { Description = "Write the image with its detections to this PNG (several images: the stem is appended)" };
        var proposals = ProposalsOption();
        var maxProposals = new Option<int>("--max-proposals") { Description = "Most proposals per image", DefaultValueFactory = _ => 2000 };
        var threshold = new Option<double?>("--threshold") { Description = "Lowest score listed and drawn (default 0.5; 0 for R-CNN's SVM scores)" };
        var maxSide = ProposeCommand.MaxSideOption("processed");
        var cmd = Cli.Command("detect", "Detect objects in images with a trained detector; prints boxes, classes and scores, and draws them; with --out, writes <out>/detections.json (times in detections.timings.json).",
            "aperture detect scene.png --model runs/fast-rcnn --draw out.png");
        var inputs = new BatchInputs(cmd, "Image files (PNG, JPEG)");
        cmd.Add(model); cmd.Add(draw); cmd.Add(proposals); cmd.Add(maxProposals); cmd.Add(threshold); cmd.Add(maxSide);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            var batch = inputs.Plan(r, "detections", timingFields: ["proposal_ms", "detect_ms"]);
            var (detector, _, method) = Detectors.Load(r.GetValue(model)!, device);
            double t = r.GetValue(threshold) ?? method.DisplayThreshold;
            var source = detector.UsesProposals
                ? new SelectiveSearchProposals(SelectiveSearchProposals.ParseMode(r.GetValue(proposals)!), r.GetValue(maxProposals), r.GetValue(CommonOptions.Seed), 0)
                : null;
            var files = batch.Images;
            var all = new List<ImageDetectionResult>();
            bool json = r.GetValue(CommonOptions.Json);
            using var progress = files.Count > 1 ? CommonOptions.Progress(r) : ProgressReporter.Quiet;
            var task = progress.Start("detect", files.Count);
            foreach (string file in files)
            {
                // One drawing name per input of the whole manifest, so that a shard names it as a single process does.
                string? drawn = r.GetValue(draw) is not string target ? null : batch.Manifest.Count == 1 ? target
                    : Path.Combine(Path.GetDirectoryName(target) ?? "", $"{Path.GetFileNameWithoutExtension(target)}-{Path.GetFileNameWithoutExtension(file)}.png");
                var found = ImageDetection.Run(detector, source, file, t, drawn, r.GetValue(maxSide));
                all.Add(found);
                batch.Add(found);
                task.Advance();
                if (!json && (files.Count == 1 || progress.Verbose))
                    Output.Table($"{file}: {found.Detections.Count} objects ({detector.Method}, {found.DetectMs:F0} ms{(found.Proposals is long p ? $", {p} proposals in {found.ProposalMs:F0} ms" : "")}){ProposeCommand.ScaleNote(found.Scale)}",
                        ["class", "score", "x1", "y1", "x2", "y2"],
                        found.Detections.Select(o => (IReadOnlyList<string>)[o.Class, o.Score.ToString("F3", CultureInfo.InvariantCulture), .. o.Box.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))]));
            }
            task.Done();
            progress.Dispose();
            string? written = BatchInputs.WriteToOut(r, batch);
            if (json) Output.Json(all);
            else if (files.Count > 1)
                Output.Line($"{all.Sum(a => a.Detections.Count)} objects in {files.Count} images{(r.GetValue(draw) is string d ? $", drawn next to {d}" : "")} (--verbose lists them)");
            if (!json && written is not null) Output.Line(BatchInputs.Describe(batch, written));
            return 0;
        });
        return cmd;
    }
}
