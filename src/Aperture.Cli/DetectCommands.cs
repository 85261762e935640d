using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;
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
        var train = root.Subcommands.FirstOrDefault(c => c.Name == "train");
        if (train is null)
        {
            train = new Command("train", "Train a model; checkpoints, metrics.jsonl, TensorBoard events and PNGs go to --out.");
            root.Add(train);
        }
        train.Add(TrainDetect());
        root.Add(Detect());
    }

    private static Option<string> ProposalsOption() => new("--proposals")
    {
        Description = "Selective search mode for R-CNN and Fast R-CNN proposals: single, fast or quality",
        DefaultValueFactory = _ => "fast",
    };

    private static Command TrainDetect()
    {
        var method = new Option<string>("--method") { Description = "sliding, rcnn or fast-rcnn", Required = true };
        method.AcceptOnlyFromAmong(DetectorSpec.Methods.ToArray());
        var dataRoot = new Option<string?>("--data-root") { Description = "Dataset folder in Pascal VOC or COCO layout with train/val/test splits (default: generate scenes into <out>/scenes)" };
        var format = new Option<string>("--format") { Description = "auto, voc or coco", DefaultValueFactory = _ => "auto" };
        var scenes = new Option<int>("--scenes") { Description = "Scenes to generate when --data-root is not given (80/10/10 train/val/test)", DefaultValueFactory = _ => 1500 };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: 8, or 2 fine-tuning epochs for rcnn)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default 1e-3)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam or adamw (default adam)" };
        var proposals = ProposalsOption();
        var maxProposals = new Option<int>("--max-proposals") { Description = "Most proposals per image", DefaultValueFactory = _ => 2000 };
        var limitTrain = new Option<int>("--limit-train") { Description = "Use at most this many training images (0: all)", DefaultValueFactory = _ => 0 };
        var limitTest = new Option<int>("--limit-test") { Description = "Evaluate on at most this many test images (0: all)", DefaultValueFactory = _ => 0 };
        var roiAlign = new Option<bool>("--roi-align") { Description = "Fast R-CNN: RoI Align instead of RoI max pooling" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the last checkpoint in --out" };

        var cmd = Cli.Command("detect",
            "Train an object detector (sliding windows, R-CNN or Fast R-CNN) on a VOC/COCO dataset or generated scenes, then score it on the test split: VOC mAP@0.5, COCO mAP, ms per image, example detections.",
            "aperture train detect --method fast-rcnn --out runs/fast-rcnn");
        foreach (var o in new Option[] { method, dataRoot, format, scenes, epochs, lr, optimizer, proposals, maxProposals, limitTrain, limitTest, roiAlign, resume }) cmd.Add(o);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string m = r.GetValue(method)!;
            string outDir = CommonOptions.OutDir(r, Path.Combine("runs", m));
            bool json = r.GetValue(CommonOptions.Json);
            long seed = r.GetValue(CommonOptions.Seed);
            var log = json ? TextWriter.Null : Console.Out;
            var recipe = DetectorRecipe.For(m);
            if (r.GetValue(roiAlign)) recipe = recipe with { FastRcnn = recipe.FastRcnn with { RoiAlign = true } };
            var training = new TrainingOptions
            {
                Epochs = r.GetValue(epochs) ?? recipe.Epochs,
                Optimizer = r.GetValue(optimizer) is string o ? TrainingOptions.ParseOptimizer(o) : recipe.Optimizer,
                LearningRate = r.GetValue(lr) ?? recipe.LearningRate,
                Seed = seed, OutputDirectory = outDir, Resume = r.GetValue(resume),
                Progress = json ? ProgressMode.Quiet : ProgressMode.Auto,
            };
            training.Validate();

            string root = r.GetValue(dataRoot) ?? GenerateScenes(Path.Combine(outDir, "scenes"), r.GetValue(scenes), seed, r.GetValue(CommonOptions.Data), log);
            var fmt = ParseFormat(r.GetValue(format)!);
            var trainSet = DetectionDataset.Load(root, "train", fmt);
            var splits = DetectionDataset.Splits(root);
            var valSet = splits.Contains("val") ? DetectionDataset.Load(root, "val", fmt) : null;
            var testSet = splits.Contains("test") ? DetectionDataset.Load(root, "test", fmt)
                : throw new InvalidDataException($"{root}: no 'test' split to evaluate on (found: {string.Join(", ", splits)})");
            var train = DetectionImage.Load(trainSet, r.GetValue(limitTrain));
            var val = valSet is null ? new List<DetectionImage>() : DetectionImage.Load(valSet, Math.Min(valSet.Count, Math.Max(50, r.GetValue(limitTrain) / 8)));
            var test = DetectionImage.Load(testSet, r.GetValue(limitTest));
            log.WriteLine($"data: {root} ({trainSet.Format}); {train.Count} training, {val.Count} validation, {test.Count} test images; {trainSet.ClassNames.Count} classes");

            double proposalMs = 0;
            string? proposalName = null;
            if (recipe.UsesProposals)
            {
                var source = new SelectiveSearchProposals(SelectiveSearchProposals.ParseMode(r.GetValue(proposals)!), r.GetValue(maxProposals), seed);
                proposalName = source.Name;
                string cache = Path.Combine(outDir, "proposals");
                ProposalCache.Attach(train, source, Path.Combine(cache, $"train-{source.Name}.json"), log: log);
                if (val.Count > 0) ProposalCache.Attach(val, source, Path.Combine(cache, $"val-{source.Name}.json"), log: log);
                proposalMs = ProposalCache.Attach(test, source, Path.Combine(cache, $"test-{source.Name}.json"), log: log);
                var recall = ProposalMetrics.Recall(test.Select(t => t.Proposals!).ToList(), test.Select(t => t.Boxes).ToList(), [r.GetValue(maxProposals)]);
                log.WriteLine($"proposals: {source.Name}, {test.Average(t => t.Proposals!.shape[0]):F0} per test image, recall@0.5 {recall[0]:P1}, {proposalMs:F1} ms per image");
            }

            var (detector, result, stages) = recipe.Train(train, val, trainSet.ClassNames, training, proposalName, device, log);
            if (!result.Succeeded)
            {
                Console.Error.WriteLine($"aperture: training stopped: {result.Message}");
                return result.ExitCode;
            }
            string ckpt = Path.Combine(outDir, "detector.ckpt");
            DetectorLoader.Save(ckpt, detector, result.EpochsCompleted, proposalName);
            var score = DetectorEvaluation.Evaluate(detector, test, proposalMs);
            string good = Path.Combine(outDir, "detections-good.png"), bad = Path.Combine(outDir, "detections-bad.png");
            DetectionExamples.Write(good, score, test, trainSet.ClassNames, 8, worst: false);
            DetectionExamples.Write(bad, score, test, trainSet.ClassNames, 8, worst: true);
            var results = new
            {
                method = m,
                data = Path.GetFullPath(root),
                train_images = train.Count,
                test_images = test.Count,
                epochs = result.EpochsCompleted,
                proposals = proposalName,
                voc_map50 = score.VocMap,
                coco_map = score.CocoMap,
                per_class_ap50 = trainSet.ClassNames.Select((c, i) => new { @class = c, ap = double.IsNaN(score.PerClassAp[i]) ? (double?)null : score.PerClassAp[i] }),
                ms_per_image = score.DetectMs,
                proposal_ms_per_image = proposalMs,
                ms_per_image_with_proposals = score.TotalMs,
                svm_objectives = stages?.SvmObjectives,
                train_seconds = result.History.Sum(h => h.Seconds) + (stages?.LinearSeconds ?? 0),
                checkpoint = ckpt,
                figures = new[] { good, bad },
            };
            Core.AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            score.DisposeDetections();
            if (json) Output.Json(results);
            else
            {
                Output.Line(result.Message);
                Output.Table($"{m} on {test.Count} test images", new[] { "VOC mAP@0.5", "COCO mAP", "ms/image", "ms/image with proposals" },
                    new[] { (IReadOnlyList<string>)new[] { F(score.VocMap), F(score.CocoMap), score.DetectMs.ToString("F1", CultureInfo.InvariantCulture), score.TotalMs.ToString("F1", CultureInfo.InvariantCulture) } });
                Output.Line($"checkpoint: {ckpt}; figures: {good}, {bad}");
            }
            foreach (var im in train.Concat(val).Concat(test)) im.Dispose();
            return 0;
        });
        return cmd;
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static DatasetFormat ParseFormat(string s) => s.Trim().ToLowerInvariant() switch
    {
        "auto" => DatasetFormat.Auto,
        "voc" => DatasetFormat.Voc,
        "coco" => DatasetFormat.Coco,
        _ => throw new ArgumentException($"format '{s}' is not one of: auto, voc, coco"),
    };

    private static string GenerateScenes(string dir, int count, long seed, string? dataDir, TextWriter log)
    {
        if (File.Exists(Path.Combine(dir, "scenes.json")) && File.Exists(Path.Combine(dir, "ImageSets", "Main", "test.txt")))
        {
            log.WriteLine($"scenes: reusing {dir}");
            return dir;
        }
        using var items = FashionMnist.Load(DatasetSplit.Train, dataDir);
        using var testItems = FashionMnist.Load(DatasetSplit.Test, dataDir);
        var summary = ScenesWriter.Write(dir, items, count, seed, new SceneOptions(), testItems: testItems);
        log.WriteLine($"scenes: wrote {summary.Splits.Values.Sum()} scenes ({summary.Objects} objects) to {dir}");
        return dir;
    }

    private static Command Detect()
    {
        var images = new Argument<string[]>("images") { Description = "Image files (PNG, JPEG)", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model", "-m") { Description = "A detector checkpoint (detector.ckpt from 'train detect')", Required = true };
        var draw = new Option<string?>("--draw") { Description = "Write the image with its detections to this PNG (several images: the stem is appended)" };
        var proposals = ProposalsOption();
        var maxProposals = new Option<int>("--max-proposals") { Description = "Most proposals per image", DefaultValueFactory = _ => 2000 };
        var threshold = new Option<double?>("--threshold") { Description = "Lowest score listed and drawn (default 0.5; 0 for R-CNN's SVM scores)" };
        var cmd = Cli.Command("detect", "Detect objects in images with a trained detector; prints boxes, classes and scores, and draws them.",
            "aperture detect scene.png --model runs/fast-rcnn/detector.ckpt --draw out.png");
        cmd.Add(images); cmd.Add(model); cmd.Add(draw); cmd.Add(proposals); cmd.Add(maxProposals); cmd.Add(threshold);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            string ckpt = EvalCommands.ResolveCheckpoint(r.GetValue(model)!);
            var detector = DetectorLoader.Load(ckpt, device);
            double t = r.GetValue(threshold) ?? DetectionExamples.DisplayThreshold(detector.Method);
            var source = detector.UsesProposals
                ? new SelectiveSearchProposals(SelectiveSearchProposals.ParseMode(r.GetValue(proposals)!), r.GetValue(maxProposals), r.GetValue(CommonOptions.Seed), 0)
                : null;
            var files = r.GetValue(images)!;
            var all = new List<object>();
            foreach (string file in files)
            {
                using var scope = NewDisposeScope();
                var image = ImageTensor.Read(file);
                if (image.shape[0] == 1) image = image.expand(3, -1, -1).contiguous();
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var props = source?.Propose(image);
                double propMs = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                var d = detector.Detect(image, props);
                double detMs = sw.Elapsed.TotalMilliseconds;
                var keep = d.Scores.ge(t);
                // data<T>().ToArray() fails on an empty tensor, so read only when something was kept.
                bool any = keep.any().item<bool>();
                var boxes = any ? BoxList.FromTensor(d.Boxes.index(keep)) : [];
                var scores = any ? d.Scores.index(keep).data<float>().ToArray() : [];
                var labels = any ? d.Labels.index(keep).data<long>().ToArray() : [];
                var list = Enumerable.Range(0, scores.Length).Select(i => new
                {
                    @class = detector.ClassNames[(int)labels[i]], score = Math.Round(scores[i], 4),
                    box = new[] { boxes[i].X1, boxes[i].Y1, boxes[i].X2, boxes[i].Y2 },
                }).ToList();
                string? drawn = null;
                if (r.GetValue(draw) is string target)
                {
                    drawn = files.Length == 1 ? target
                        : Path.Combine(Path.GetDirectoryName(target) ?? "", $"{Path.GetFileNameWithoutExtension(target)}-{Path.GetFileNameWithoutExtension(file)}.png");
                    DetectionExamples.WriteOne(drawn, image, d, detector.ClassNames, t);
                }
                all.Add(new { image = file, detections = list, proposals = props?.shape[0], proposal_ms = propMs, detect_ms = detMs, drawn });
                if (!r.GetValue(CommonOptions.Json))
                    Output.Table($"{file}: {list.Count} objects ({detector.Method}, {detMs:F0} ms{(props is null ? "" : $", {props.shape[0]} proposals in {propMs:F0} ms")})",
                        new[] { "class", "score", "x1", "y1", "x2", "y2" },
                        list.Select(o => (IReadOnlyList<string>)new[] { o.@class, o.score.ToString("F3", CultureInfo.InvariantCulture) }
                            .Concat(o.box.Select(v => v.ToString("F1", CultureInfo.InvariantCulture))).ToArray()));
            }
            if (r.GetValue(CommonOptions.Json)) Output.Json(all);
            return 0;
        });
        return cmd;
    }
}
