using Aperture.Classification;
using Aperture.Detection;
using Aperture.Nn;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Where a trained detector's mAP goes, in the spirit of Hoiem et al., "Diagnosing Error in Object Detectors" (ECCV
/// 2012), on the test split of its scenes: its VOC mAP@0.5; the same detections scored class-agnostically (every box
/// and object one class: how well it finds and places objects) and with each detection that overlaps an object by
/// IoU ≥ 0.5 relabelled with that object's class (the mAP perfect classification would give these boxes); and per
/// object size (longer side of the ground-truth box), how many objects some detection finds (IoU ≥ 0.5) and how often
/// the best-scoring of those has the object's class. Beside it, the body's pre-trained classifier (<c>RUN/pretrain</c>,
/// or <c>--classifier RUN</c>) on crops of the same objects — a square around each box with the box's longer side
/// filling 28/32 of it, resized to the 32x32 the classifier was trained on — to tell what the detector loses from
/// what the item classifier itself cannot tell apart.
/// </summary>
public static class DetectorErrorsBench
{
    private static readonly int[] SizeEdges = [0, 24, 32, 48, 64];

    /// <summary>Runs it: <c>RUN [--data DIR] [--classifier RUN]</c>. Returns an object to print as JSON.</summary>
    public static object Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException("usage: detector-errors RUN [--data DIR] [--classifier RUN]");
        string run = args[0];
        string data = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault() ?? Path.Combine(run, "scenes");
        string? classifierRun = args.SkipWhile(a => a != "--classifier").Skip(1).FirstOrDefault()
            ?? (Directory.Exists(Path.Combine(run, "pretrain")) ? Path.Combine(run, "pretrain") : null);
        var (detector, _, method) = Detectors.Load(run, CPU);
        using var set = DetectionData.Load(data);
        var images = set.Test;
        int classes = set.ClassNames.Count;
        var source = new SelectiveSearchProposals(SelectiveSearchMode.Fast, 2000);
        nn.Module<Tensor, Tensor>? classifier = null;
        if (classifierRun is not null) { classifier = ClassifierSpec.Load(classifierRun).Model; classifier.eval(); }

        var detections = new List<ImageDetections>();
        var relabelled = new List<ImageDetections>();
        var agnostic = new List<ImageDetections>();
        var agnosticTruths = new List<ImageTruth>();
        var bins = SizeEdges.Select(_ => new int[4]).ToArray(); // objects, found, found with the right class, crops classified right
        foreach (var im in images)
        {
            using var proposals = detector.UsesProposals ? source.Propose(im.Image) : null;
            var d = detector.Detect(im.Image, proposals);
            detections.Add(d);
            long[] truthLabels = im.Labels.data<long>().ToArray();
            var truthBoxes = im.Boxes.data<float>().ToArray();
            var labels = d.Labels.clone();
            float[] scores = d.Scores.data<float>().ToArray();
            long[] predicted = d.Labels.data<long>().ToArray();
            using (var iou = d.Boxes.shape[0] == 0 || truthLabels.Length == 0 ? null : Boxes.Iou(d.Boxes, im.Boxes))
            {
                var overlaps = iou?.data<float>().ToArray() ?? [];
                int g = truthLabels.Length;
                for (int k = 0; k < scores.Length; k++)
                {
                    int best = -1;
                    for (int t = 0; t < g; t++)
                        if (overlaps[k * g + t] >= 0.5f && (best < 0 || overlaps[k * g + t] > overlaps[k * g + best])) best = t;
                    if (best >= 0) labels[k] = truthLabels[best];
                }
                for (int t = 0; t < g; t++)
                {
                    float w = truthBoxes[4 * t + 2] - truthBoxes[4 * t], h = truthBoxes[4 * t + 3] - truthBoxes[4 * t + 1];
                    var bin = bins[Array.FindLastIndex(SizeEdges, e => Math.Max(w, h) >= e)];
                    bin[0]++;
                    int top = -1;
                    for (int k = 0; k < scores.Length; k++)
                        if (overlaps[k * g + t] >= 0.5f && (top < 0 || scores[k] > scores[top])) top = k;
                    if (top >= 0) { bin[1]++; if (predicted[top] == truthLabels[t]) bin[2]++; }
                    if (classifier is not null && Crop(classifier, im, truthBoxes.AsSpan(4 * t, 4)) == truthLabels[t]) bin[3]++;
                }
            }
            relabelled.Add(d with { Labels = labels });
            agnostic.Add(d with { Labels = zeros_like(d.Labels) });
            agnosticTruths.Add(new ImageTruth(im.Boxes, zeros_like(im.Labels)));
        }
        var truths = images.Select(im => im.Truth).ToList();
        double Map(IReadOnlyList<ImageDetections> dets, IReadOnlyList<ImageTruth> t, int k) => Math.Round(DetectionMetrics.VocMap(dets, t, k).Mean, 4);
        static double? Share(int a, int b) => b == 0 ? null : Math.Round((double)a / b, 4);
        return new
        {
            bench = "detector-errors",
            run,
            method = method.Name,
            data,
            test_images = images.Count,
            objects = bins.Sum(b => b[0]),
            voc_map = Map(detections, truths, classes),
            voc_ap_class_agnostic = Map(agnostic, agnosticTruths, 1),
            voc_map_with_true_classes = Map(relabelled, truths, classes),
            classifier = classifierRun,
            by_size = bins.Select((b, i) => new
            {
                longer_side_px = i + 1 < SizeEdges.Length ? $"[{SizeEdges[i]}, {SizeEdges[i + 1]})" : $"{SizeEdges[i]} and up",
                objects = b[0],
                found = Share(b[1], b[0]),
                detector_class_right_of_found = Share(b[2], b[1]),
                classifier_on_crops_right = classifier is null ? null : Share(b[3], b[0]),
            }).Append(new
            {
                longer_side_px = "all",
                objects = bins.Sum(b => b[0]),
                found = Share(bins.Sum(b => b[1]), bins.Sum(b => b[0])),
                detector_class_right_of_found = Share(bins.Sum(b => b[2]), bins.Sum(b => b[1])),
                classifier_on_crops_right = classifier is null ? null : Share(bins.Sum(b => b[3]), bins.Sum(b => b[0])),
            }).ToList(),
        };
    }

    // The classifier's class for the object in box (x1, y1, x2, y2): a square crop around it, the box's longer side
    // filling 28/32 of it (as an item's 28-pixel frame fills a pre-training patch), resized to 32x32.
    private static long Crop(nn.Module<Tensor, Tensor> classifier, DetectionImage im, ReadOnlySpan<float> box)
    {
        using var scope = NewDisposeScope();
        float cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2, half = Math.Max(box[2] - box[0], box[3] - box[1]) / 2 * 32f / 28f;
        long x1 = (long)Math.Max(0, cx - half), y1 = (long)Math.Max(0, cy - half);
        long x2 = Math.Max(x1 + 1, (long)Math.Min(im.Width, cx + half)), y2 = Math.Max(y1 + 1, (long)Math.Min(im.Height, cy + half));
        var crop = im.Image.slice(1, y1, y2, 1).slice(2, x1, x2, 1).unsqueeze(0).to_type(ScalarType.Float32);
        var patch = nn.functional.interpolate(crop, [32, 32], mode: InterpolationMode.Bilinear, align_corners: false).round_().clamp_(0, 255).to_type(ScalarType.Byte);
        using var _ = no_grad();
        return classifier.forward(Backbone.Normalize(patch)).argmax(1).item<long>();
    }
}
