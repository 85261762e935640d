using System.Globalization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Detection.FastRcnn;
using Aperture.Detection.Rcnn;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>One detector's line in the chapter.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Score">Accuracy and speed on the test scenes.</param>
/// <param name="TrainSeconds">Training time.</param>
/// <param name="VocInterval">The 95% bootstrap interval of the VOC mAP over the test scenes, or null.</param>
public sealed record DetectorReportRow(string Method, DetectorScore Score, double TrainSeconds, IReadOnlyList<double>? VocInterval = null);

/// <summary>
/// The report chapter "Object detection": the sliding-window baseline, R-CNN and Fast R-CNN trained on the same
/// generated scenes (Fashion-MNIST items on clutter), with selective-search proposals, scored on held-out scenes made
/// of test-set items: VOC mAP@0.5, COCO mAP, time per image with and without proposals, and example detections.
/// </summary>
public static class DetectionChapter
{
    /// <summary>Scenes the chapter generates: 500 (120 in a quick run).</summary>
    /// <param name="quick">A quick run.</param>
    public static int SceneCount(bool quick) => quick ? 120 : 500;

    /// <summary>
    /// Writes the chapter's scene set into <paramref name="dir"/>: <see cref="SceneCount"/> scenes of the generator's defaults
    /// (128x128), 85% train and 15% held-out test (75% / 25% in a quick run), test scenes made of test items only. The
    /// proposal study and the detectors are scored on its test split; <c>bench -- proposals</c> scores on the same scenes.
    /// </summary>
    /// <param name="dir">Dataset folder (VOC + COCO + masks).</param>
    /// <param name="trainItems">Items for training scenes (Fashion-MNIST training images).</param>
    /// <param name="testItems">Items for test scenes (Fashion-MNIST test images).</param>
    /// <param name="quick">A quick run.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="progress">Told the number of scenes written so far, or null.</param>
    /// <param name="count">Scenes to write instead of <see cref="SceneCount"/>, or null.</param>
    public static SceneSetSummary WriteScenes(string dir, LabeledImages trainItems, LabeledImages testItems, bool quick, long seed, IProgress<int>? progress = null,
        int? count = null)
    {
        var splits = quick ? new SceneSplits(0.75, 0.0, 0.25) : new SceneSplits(0.85, 0.0, 0.15);
        return ScenesWriter.Write(dir, trainItems, count ?? SceneCount(quick), seed, new SceneOptions(), splits, progress, testItems);
    }

    /// <summary>
    /// The harder held-out scenes every pre-trained detector is also scored on, to show how it degrades away from what it
    /// trained on: another seed, 3–8 items per scene (the default 1–5, so more of them occluded), drawn at 14–42 px (half
    /// the default's largest scale, 84 px), test-set items only. The clutter is already at its strongest by default.
    /// </summary>
    public static SceneOptions HarderScenes { get; } = new() { MinItems = 3, MaxItems = 8, MaxScale = 1.5 };

    /// <summary>Generates scenes, trains and scores the three detectors, and adds the chapter; returns the rows.</summary>
    /// <param name="report">The report.</param>
    /// <param name="trainItems">Items for training scenes (Fashion-MNIST training images).</param>
    /// <param name="testItems">Items for test scenes (Fashion-MNIST test images).</param>
    /// <param name="quick">A short run (about a minute on 2 cores): 120 scenes, 1–2 epochs, fewer proposals.</param>
    /// <param name="seed">Seed of scenes, proposals and training.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="proposals">Proposal source for R-CNN and Fast R-CNN (selective search, fast mode, when null).</param>
    /// <param name="scenes">Scenes to generate instead of <see cref="SceneCount"/> (tests).</param>
    /// <param name="pretrainedRun">The run folder of a finished <c>backbone-fc</c> classifier to start the bodies from (the
    /// classification chapter's, trained with <see cref="ClassificationChapter.Settings"/>), or null to train it here.</param>
    /// <returns>One row per detector, in <see cref="Detectors.All"/> order, each with the pre-trained body; then Fast R-CNN
    /// with its body from scratch, named <c>fast-rcnn (scratch)</c>.</returns>
    public static IReadOnlyList<DetectorReportRow> Add(HtmlReport report, LabeledImages trainItems, LabeledImages testItems, bool quick, long seed,
        Device device, TextWriter log, IProposalSource? proposals = null, int? scenes = null, string? pretrainedRun = null)
    {
        string dir = Path.Combine(report.Folder, "detection");
        int sceneCount = scenes ?? SceneCount(quick);
        log.WriteLine($"[report] detection: {sceneCount} scenes");
        using (var progress = ProgressReporter.From(log))
        using (var task = progress.Start("scenes", sceneCount))
            WriteScenes(Path.Combine(dir, "scenes"), trainItems, testItems, quick, seed, ProgressReporter.Counting(task), sceneCount);
        using var data = DetectionData.Load(Path.Combine(dir, "scenes"));
        var train = data.Train;
        var test = data.Test;
        int maxBoxes = quick ? 500 : 2000;
        proposals ??= new SelectiveSearchProposals(SelectiveSearchMode.Fast, maxBoxes, seed);
        data.AttachProposals(proposals, null, log);
        double proposalMs = data.ProposalMs, meanProposals = data.ProposalsPerImage;
        string harderDir = Path.Combine(dir, "scenes-harder");
        ScenesWriter.Write(harderDir, testItems, test.Count, seed + 1, HarderScenes, new SceneSplits(0, 0, 1), testItems: testItems);
        var harder = DetectionImage.Load(DetectionDataset.Load(harderDir, "test"));
        ProposalCache.Attach(harder, proposals, null, log: log);
        var harderScores = new List<(string Method, DetectorScore Default, double VocMap, double CocoMap)>();

        // Stage 1: supervised pre-training of the conv body, once, shared by the three detectors (as both papers start from
        // an ImageNet classifier).
        // The classification chapter trains this classifier in the same folder with the same settings: reuse its run.
        var classifier = Classifiers.Find(BackboneFc.Id);
        var pretrainSettings = ClassificationChapter.Settings(classifier, report.Folder, quick, seed, log);
        string pretrainDir = pretrainSettings.OutputDirectory;
        var pretrained = pretrainedRun is null ? null : RunResults.Read<ClassificationResults>(pretrainedRun);
        if (pretrained is not null)
        {
            pretrainDir = pretrainedRun!;
            log.WriteLine($"[report] detection: the body starts from {pretrainDir} ({BackboneFc.Id}, {pretrained.Epochs} epochs)");
        }
        else
        {
            log.WriteLine($"[report] detection: pre-training the body ({BackboneFc.Id})");
            var (pretrainRun, results) = ClassificationRun.Execute(pretrainSettings, trainItems, testItems, device);
            pretrainRun.Model.Dispose();
            pretrained = results;
        }

        // Stage 2: each detector fine-tunes that body; Fast R-CNN once more from scratch, for the gain.
        var rows = new List<DetectorReportRow>();
        var figures = new List<(IDetectorMethod Method, string Good, string Bad, double Threshold)>();
        RcnnStages? rcnnStages = null;
        var runs = Detectors.All.Select(m => (Method: m, Name: m.Name, Init: pretrainDir))
            .Append((Method: Detectors.Find(FastRcnnMethod.Id), Name: ScratchRow, Init: DetectionSettings.Scratch));
        foreach (var (method, name, init) in runs)
        {
            var outcome = DetectionRun.Execute(new DetectionSettings
            {
                Method = method.Name, OutputDirectory = Path.Combine(report.Folder, "runs", init == DetectionSettings.Scratch ? method.Name + "-scratch" : method.Name),
                Seed = seed, Init = init,
                Budget = quick ? RunBudget.Quick : RunBudget.Report, Progress = ProgressMode.Lines, Log = log, TensorBoard = false, Examples = 4,
            }, data, device);
            if (outcome.Trained.Stages is RcnnStages stages) rcnnStages = stages;
            rows.Add(new DetectorReportRow(name, outcome.Score, outcome.Results.TrainSeconds, outcome.Results.VocMap50Interval95));
            if (init != DetectionSettings.Scratch)
            {
                figures.Add((method, outcome.Results.Figures[0], outcome.Results.Figures[1], outcome.Results.FigureThreshold ?? method.DisplayThreshold));
                var hard = DetectorEvaluation.Evaluate(outcome.Detector, harder);
                hard.DisposeDetections();
                harderScores.Add((name, outcome.Score, hard.VocMap, hard.CocoMap));
                log.WriteLine($"[report] detection: {name} on the harder scenes: VOC mAP@0.5 {hard.VocMap:F3}, COCO mAP {hard.CocoMap:F3}");
            }
            outcome.Score.DisposeDetections();
        }
        var detectorRows = rows.Where(r => r.Method != ScratchRow).ToList();

        var chapter = report.AddChapter("Object detection: sliding windows, R-CNN and Fast R-CNN");
        chapter.Paragraph($"{train.Count} training scenes and {test.Count} held-out test scenes (128x128, 1–5 Fashion-MNIST items at 14–84 px on clutter; "
            + "test scenes use only test-set items). All three detectors share the same conv body (3x3 conv + batch norm + ReLU, 32/64/128 channels, stride 4). "
            + "The sliding-window detector slides a background + 10 class window classifier over an image pyramid of 6 window sizes and 3 aspect ratios, "
            + "one fully convolutional pass per scale. R-CNN warps every proposal with context padding, fine-tunes the network on region classification, "
            + "trains one-vs-rest linear SVMs with hard-negative mining and class-specific ridge box regression on its fc7 features. "
            + "Fast R-CNN runs the conv body once per image, pools each proposal to 7x7 (RoI Align, not the paper's RoI max pooling: more accurate on these small items) and trains softmax and smooth-L1 box regression jointly "
            + "(2 images x 64 RoIs, 25% foreground). Per-class NMS at IoU 0.3 for all.");
        chapter.Paragraph($"Proposals: {proposals.Name}, {meanProposals:F0} per test image on average, recall at IoU 0.5 {data.ProposalRecall:P1}, "
            + $"{proposalMs:F1} ms per image (one thread per image).");
        chapter.Paragraph($"Two stages, as in both papers (which start from an ImageNet classifier). Stage 1, supervised pre-training: the conv body "
            + $"with max pooling to 7x7, fc6, fc7 and a linear layer ({BackboneFc.Id}, shaped as VGG-16 is in the papers) is trained to classify {pretrained.TrainImages:N0} Fashion-MNIST training items "
            + $"drawn as the scenes draw them (scaled, tinted, blended onto the generator's clutter in 32x32 patches), {pretrained.Epochs} epoch(s) in "
            + $"{pretrained.TrainSeconds:F0} s; test accuracy {pretrained.TestAccuracy:P1} on patches of the {pretrained.TestImages:N0} test items. "
            + "Stage 2, fine-tuning: each detector copies the body's weights and batch-norm statistics (R-CNN and Fast R-CNN also fc6 and fc7), "
            + "replaces the classifier with its own outputs and trains on the scenes.");
        chapter.Table(new[] { "detector", "VOC mAP@0.5", "95% interval (bootstrap over test scenes)", "COCO mAP@[.5:.95]", "ms / image (proposals excluded)", "ms / image with proposals", "training s" },
            detectorRows.Select(r => (IReadOnlyList<string>)new[]
            {
                r.Method, F3(r.Score.VocMap), r.VocInterval is [var lo, var hi] ? $"{F3(lo)}–{F3(hi)}" : "", F3(r.Score.CocoMap), r.Score.DetectMs.ToString("F1", CultureInfo.InvariantCulture),
                r.Score.TotalMs.ToString("F1", CultureInfo.InvariantCulture), r.TrainSeconds.ToString("F0", CultureInfo.InvariantCulture),
            }));
        var rc = rows.First(r => r.Method == RcnnMethod.Id).Score; var fr = rows.First(r => r.Method == FastRcnnMethod.Id).Score;
        var scratch = rows.First(r => r.Method == ScratchRow);
        chapter.Paragraph($"Fast R-CNN is {rc.DetectMs / fr.DetectMs:F1}x faster per image than R-CNN with proposals excluded "
            + $"({rc.DetectMs:F0} ms vs {fr.DetectMs:F1} ms): R-CNN runs the conv body on each of about {meanProposals:F0} warped regions, Fast R-CNN once per image. "
            + $"Fast R-CNN's VOC mAP@0.5 is {F3(fr.VocMap)} against R-CNN's {F3(rc.VocMap)}."
            + (quick ? " (Quick mode: few scenes and epochs; the figures are far below a full run's.)" : ""));
        chapter.Paragraph($"How they degrade: the same detectors on {harder.Count} harder held-out scenes drawn with another seed, "
            + $"{HarderScenes.MinItems}–{HarderScenes.MaxItems} items per scene (more of them occluded) at {28 * HarderScenes.MinScale:F0}–{28 * HarderScenes.MaxScale:F0} px, "
            + $"test-set items only ({harder.Sum(h => h.Labels.shape[0])} objects).");
        chapter.Table(new[] { "detector", "VOC mAP@0.5, test scenes", "VOC mAP@0.5, harder scenes", "COCO mAP, test scenes", "COCO mAP, harder scenes" },
            harderScores.Select(h => (IReadOnlyList<string>)new[] { h.Method, F3(h.Default.VocMap), F3(h.VocMap), F3(h.Default.CocoMap), F3(h.CocoMap) }));
        foreach (var h in harder) h.Dispose();
        chapter.Paragraph("What pre-training gains: Fast R-CNN with the same recipe, scenes and seed, its body pre-trained (stage 1) or started at random.");
        chapter.Table(new[] { "Fast R-CNN body", "VOC mAP@0.5", "COCO mAP@[.5:.95]", "training s (fine-tuning only)" },
            new[]
            {
                (IReadOnlyList<string>)new[] { "from scratch", F3(scratch.Score.VocMap), F3(scratch.Score.CocoMap), scratch.TrainSeconds.ToString("F0", CultureInfo.InvariantCulture) },
                new[] { $"pre-trained ({BackboneFc.Id}, {pretrained.TestAccuracy:P1})", F3(fr.VocMap), F3(fr.CocoMap), rows.First(r => r.Method == FastRcnnMethod.Id).TrainSeconds.ToString("F0", CultureInfo.InvariantCulture) },
                new[] { "gain", Signed(fr.VocMap - scratch.Score.VocMap), Signed(fr.CocoMap - scratch.Score.CocoMap), "" },
            });
        if (rcnnStages is { SvmObjectives.Count: > 0 })
        {
            int rounds = rcnnStages.SvmObjectives.Max(o => o.Count);
            chapter.Paragraph($"R-CNN hard-negative mining: the SVM objective (½‖w‖² + C·hinge over all {rcnnStages.SvmNegatives} pooled negatives and the positives), "
                + "averaged over the classes, after each mining round: "
                + string.Join(" → ", Enumerable.Range(0, rounds).Select(i => rcnnStages.SvmObjectives.Where(o => o.Count > 0).Average(o => o[Math.Min(i, o.Count - 1)]).ToString("F3", CultureInfo.InvariantCulture))) + ".");
        }
        ProposalStudy.Add(chapter, test.Select(t => (t.Image, t.Boxes)).ToList(), dir, seed, log);
        foreach (var (method, good, bad, shown) in figures)
        {
            string threshold = shown.ToString("0.###", CultureInfo.InvariantCulture)
                + (shown < method.DisplayThreshold ? $" (below the method's {method.DisplayThreshold.ToString(CultureInfo.InvariantCulture)}, which fewer right detections reach: the best F1 over the test scenes)" : "");
            chapter.Heading(method.Name)
                .Figure(good, $"{method.Name}: the test scenes it does best on (per-image F1 at IoU 0.5): ground truth in thin white boxes, detections with score ≥ {threshold} "
                    + "in their class's colour; the caption counts detections right (class and IoU ≥ 0.5), wrong, and objects missed.", 640)
                .Figure(bad, $"{method.Name}: the test scenes it does worst on.", 640);
        }
        return rows;
    }

    /// <summary>The name of the chapter's extra row: Fast R-CNN with its body trained from scratch.</summary>
    public const string ScratchRow = "fast-rcnn (scratch)";

    private static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string Signed(double v) => (v >= 0 ? "+" : "") + F3(v);
}
