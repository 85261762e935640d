using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Segmentation;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>One segmenter's line in the chapter.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Results">What its run measured.</param>
public sealed record SegmenterReportRow(string Method, SegmentationResults Results);

/// <summary>
/// The report chapter "Semantic segmentation": every method of the <see cref="Segmenters"/> registry trained on the same
/// generated scenes (methods trained in stages start from the chapter's own run of their previous stage), scored on
/// held-out scenes made of Fashion-MNIST test items with the FCN paper's four metrics, boundary F1 and the receptive
/// field of an output unit; the lecture's figure image | FCN-32s | FCN-16s | FCN-8s | ground truth, and the paper's
/// numbers beside ours (on a different dataset).
/// </summary>
public static class SegmentationChapter
{
    /// <summary>The FCN paper's VOC2011 validation figures (Long et al. 2015, Table 2): pixel accuracy and mean IU, in %.</summary>
    private static readonly (string Model, double PixelAccuracy, double MeanIoU)[] FcnPaper =
    [
        ("fcn32s", 89.1, 59.4),
        ("fcn16s", 90.0, 62.4),
        ("fcn8s", 90.3, 62.7),
    ];

    /// <summary>Generates scenes, trains and scores every segmenter, and adds the chapter; returns the rows.</summary>
    /// <param name="report">The report.</param>
    /// <param name="trainItems">Items for training and validation scenes (Fashion-MNIST training images).</param>
    /// <param name="testItems">Items for held-out scenes (Fashion-MNIST test images).</param>
    /// <param name="quick">The quick budget: few scenes, one epoch per method (a glimpse).</param>
    /// <param name="seed">Seed of scenes and training.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="scenes">Scenes to generate, or null for the budget's recipes' count.</param>
    public static IReadOnlyList<SegmenterReportRow> Add(HtmlReport report, LabeledImages trainItems, LabeledImages testItems, bool quick, long seed,
        Device device, TextWriter log, int? scenes = null)
    {
        var budget = quick ? RunBudget.Quick : RunBudget.Report;
        string dir = Path.Combine(report.Folder, "segmentation");
        int count = scenes ?? Segmenters.All.Max(m => m.Recipe(budget).Scenes);
        log.WriteLine($"[report] segmentation: {count} scenes");
        using (var progress = ProgressReporter.From(log))
        using (var task = progress.Start("scenes", count))
            ScenesWriter.Write(Path.Combine(dir, "scenes"), trainItems, count, seed, new SceneOptions(), null, ProgressReporter.Counting(task), testItems);
        using var data = SegmentationData.Load(Path.Combine(dir, "scenes"), limitValidation: quick ? 20 : 60);

        var rows = new List<SegmenterReportRow>();
        var outcomes = new Dictionary<string, SegmentationOutcome>();
        var folders = new Dictionary<string, string>();
        try
        {
            foreach (var method in Segmenters.All)
            {
                string run = Path.Combine(report.Folder, "runs", "segment-" + method.Name);
                var outcome = SegmentationRun.Execute(RunSettings(method.Name, run, method.StartsFrom is string from && folders.TryGetValue(from, out var f) ? f : null,
                    seed, budget, log), data, device);
                folders[method.Name] = run;
                outcomes[method.Name] = outcome;
                rows.Add(new SegmenterReportRow(method.Name, outcome.Results));
            }

            var chapter = report.AddChapter("Semantic segmentation: per-pixel windows, FCN, dilated context, U-Net");
            chapter.Paragraph($"{data.Train.Count} training, {data.Validation.Count} validation and {data.Test.Count} held-out scenes (128x128, Fashion-MNIST items on "
                + "clutter; held-out scenes use only test-set items); 11 classes (background + 10). Every model is trained from scratch with pixel-wise softmax "
                + "cross-entropy weighted by median-frequency class balancing (as the U-Net paper weighs by class frequency; the FCN paper did not, starting "
                + "from ImageNet VGG-16) and a cosine learning-rate schedule; methods trained in stages (FCN-16s from FCN-32s, FCN-8s from FCN-16s, the context module on the dilated front end) start from "
                + "the run above them, as in the papers. Scores on the held-out scenes: pixel accuracy, mean class accuracy, mean IU and frequency-weighted IU "
                + $"(the FCN paper's four), and boundary F1 (Csurka et al. 2013, tolerance {rows[0].Results.BoundaryTolerance:0.#} px), which looks at contours only. "
                + "The receptive field is that of one output score, in pixels."
                + (quick ? " Quick mode: one epoch per model on few scenes — a glimpse, far below a full run's figures." : ""));
            chapter.Table(["model", "pixel acc", "mean acc", "mean IU", "fw IU", "boundary F1", "field (px)", "training s", "ms / image"],
                rows.Select(r => (IReadOnlyList<string>)
                [
                    r.Method, P(r.Results.PixelAccuracy), P(r.Results.MeanAccuracy), P(r.Results.MeanIoU), P(r.Results.FrequencyWeightedIoU), P(r.Results.BoundaryF1),
                    r.Results.ReceptiveField.ToString(CultureInfo.InvariantCulture), r.Results.TrainSeconds.ToString("F0", CultureInfo.InvariantCulture),
                    r.Results.MsPerImage.ToString("F1", CultureInfo.InvariantCulture),
                ]).Concat(FcnPaper.Select(p => (IReadOnlyList<string>)
                [
                    $"{p.Model} (paper: VOC2011 val, ImageNet VGG-16 — a different dataset)", p.PixelAccuracy.ToString("F1", CultureInfo.InvariantCulture), "",
                    p.MeanIoU.ToString("F1", CultureInfo.InvariantCulture), "", "", "", "", "",
                ])));
            chapter.Paragraph(Ordering(rows));

            if (new[] { "fcn32s", "fcn16s", "fcn8s" }.All(outcomes.ContainsKey))
            {
                string fig = SegmentationFigures.Write(Path.Combine(dir, "fcn-32s-16s-8s.png"), data.Test,
                    [outcomes["fcn32s"].Predictions, outcomes["fcn16s"].Predictions, outcomes["fcn8s"].Predictions], quick ? 3 : 5, truthLast: true);
                chapter.Figure(fig, "Held-out scenes: image | FCN-32s | FCN-16s | FCN-8s | ground truth (the FCN paper's Figure 4 on our scenes). "
                    + "Finer skips sharpen the outlines that 32x upsampling smears.", 720);
            }
            foreach (var r in rows)
                chapter.Figure(r.Results.Figures[0], $"{r.Method}: image | ground truth | prediction on held-out scenes.", 480);
            SegmentationContextStudy.Add(report, chapter, trainItems, testItems, count, quick, seed, device, log);
        }
        finally
        {
            foreach (var o in outcomes.Values) o.Dispose();
        }
        return rows;
    }

    /// <summary>The settings of one of the chapter's runs (lines of progress, no TensorBoard, four example figures).</summary>
    internal static SegmentationSettings RunSettings(string method, string run, string? from, long seed, RunBudget budget, TextWriter log) => new()
    {
        Method = method, OutputDirectory = run, Seed = seed, Budget = budget, Progress = ProgressMode.Lines, Log = log, TensorBoard = false,
        Examples = 4, From = from,
    };

    /// <summary>What the measured rows say about the lecture's claims, in words (nothing assumed).</summary>
    private static string Ordering(IReadOnlyList<SegmenterReportRow> rows)
    {
        double? Bf(string m) => rows.FirstOrDefault(r => r.Method == m)?.Results.BoundaryF1;
        double? Iu(string m) => rows.FirstOrDefault(r => r.Method == m)?.Results.MeanIoU;
        var parts = new List<string>();
        if (Bf("fcn32s") is double b32 && Bf("fcn16s") is double b16 && Bf("fcn8s") is double b8)
        {
            bool ordered = b32 < b16 && b16 < b8;
            parts.Add($"Boundary F1 of FCN-32s / 16s / 8s: {P(b32)} / {P(b16)} / {P(b8)} — {(ordered ? "finer skips give sharper boundaries, as the lecture says" : "not in the lecture's order on this run")}; "
                + $"mean IU moves {P(Iu("fcn32s")!.Value)} / {P(Iu("fcn16s")!.Value)} / {P(Iu("fcn8s")!.Value)} (the paper: +3.0 then +0.3 points).");
            if (Bf("unet") is double bu)
                parts.Add($"U-Net's boundary F1 {P(bu)} is {(bu >= b8 ? "at or above" : "below")} FCN-8s's: its decoder brings back every resolution, not just stride 8.");
        }
        if (Bf("dilated-frontend") is double bfe && Bf("dilated") is double bctx)
            parts.Add($"The context module {(bctx > bfe ? "raises" : "does not raise")} boundary F1 over its front end ({P(bfe)} → {P(bctx)}), mean IU {P(Iu("dilated-frontend")!.Value)} → {P(Iu("dilated")!.Value)}.");
        return string.Join(" ", parts);
    }

    private static string P(double v) => double.IsNaN(v) ? "—" : (100 * v).ToString("F1", CultureInfo.InvariantCulture);
}
