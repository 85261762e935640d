using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Detections in one image: boxes <c>[K, 4]</c> float, scores <c>[K]</c> float, class labels <c>[K]</c> int64.</summary>
/// <param name="Boxes">Boxes <c>[K, 4]</c> (x1, y1, x2, y2) in pixels.</param>
/// <param name="Scores">Confidence per box <c>[K]</c>.</param>
/// <param name="Labels">Class index per box <c>[K]</c>.</param>
public sealed record ImageDetections(Tensor Boxes, Tensor Scores, Tensor Labels)
{
    /// <summary>No detections: boxes <c>[0, 4]</c> float32, scores <c>[0]</c> float32, labels <c>[0]</c> int64.</summary>
    public static ImageDetections Empty() => new(zeros(0, 4), zeros(0), zeros(0, dtype: ScalarType.Int64));
}

/// <summary>Ground truth in one image: boxes <c>[G, 4]</c>, labels <c>[G]</c> int64 and an optional "difficult" flag per box (bool <c>[G]</c>).</summary>
/// <param name="Boxes">Boxes <c>[G, 4]</c> (x1, y1, x2, y2) in pixels.</param>
/// <param name="Labels">Class index per box <c>[G]</c>.</param>
/// <param name="Difficult">Pascal VOC "difficult" (or COCO "ignore") flags <c>[G]</c>, or null for none.</param>
public sealed record ImageTruth(Tensor Boxes, Tensor Labels, Tensor? Difficult = null);

/// <summary>Average precision per class and its mean over the classes that have ground truth.</summary>
/// <param name="PerClass">AP of each class index, NaN for a class with no (non-difficult) ground truth.</param>
/// <param name="Mean">Mean AP over the classes with ground truth.</param>
public sealed record MeanAveragePrecision(double[] PerClass, double Mean);

/// <summary>
/// Detection accuracy: Pascal VOC average precision at IoU 0.5 (all-point interpolation as in VOC 2010+,
/// or the 11-point VOC 2007 variant) and COCO mAP averaged over IoU 0.50:0.05:0.95 (101 recall points).
/// Boxes are continuous (width = x2 − x1, no "+1").
/// </summary>
public static class DetectionMetrics
{
    private sealed class Img
    {
        public float[] DetBoxes = [], DetScores = [], GtBoxes = [];
        public long[] DetLabels = [], GtLabels = [];
        public bool[] GtDifficult = [];
    }

    /// <summary>
    /// Pascal VOC mAP. For each class, detections of all images are visited by decreasing score; each is a true
    /// positive when its best-overlapping ground-truth box of that class has IoU &gt; <paramref name="iouThreshold"/>
    /// and is not already taken, ignored when that box is difficult, otherwise a false positive.
    /// </summary>
    /// <param name="detections">Per-image detections.</param>
    /// <param name="truths">Per-image ground truth, same order and count.</param>
    /// <param name="classCount">Number of classes (labels 0..classCount−1).</param>
    /// <param name="iouThreshold">Overlap needed, 0.5 in VOC.</param>
    /// <param name="elevenPoint">Use VOC 2007's 11-point interpolated AP instead of the all-point area.</param>
    public static MeanAveragePrecision VocMap(IReadOnlyList<ImageDetections> detections, IReadOnlyList<ImageTruth> truths,
        int classCount, double iouThreshold = 0.5, bool elevenPoint = false)
    {
        var imgs = Load(detections, truths);
        return VocMapOf(imgs, classCount, iouThreshold, elevenPoint);
    }

    /// <summary>
    /// How far <see cref="VocMap"/> would move on another draw of test images like these: a percentile bootstrap
    /// interval (Efron &amp; Tibshirani, 1993) — <paramref name="resamples"/> times, draw as many images as given, with
    /// replacement, and score them; the interval holds the middle <paramref name="level"/> of those means. Images, not
    /// detections, are resampled: a detector's errors come scene by scene. On the default 375 test scenes the 95% interval
    /// reaches about 0.02 either side of the mAP, so two detectors 0.01 apart on one test set are not told apart by it
    /// (README, Detection).
    /// </summary>
    /// <param name="detections">Per-image detections.</param>
    /// <param name="truths">Per-image ground truth, same order and count.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <param name="level">Coverage, 0.95 by default.</param>
    /// <param name="resamples">Bootstrap draws (1,000).</param>
    /// <param name="seed">Seed of the draws: the same inputs and seed give the same interval.</param>
    /// <returns>The interval's ends (NaN, NaN when no draw has ground truth).</returns>
    public static (double Low, double High) VocMapInterval(IReadOnlyList<ImageDetections> detections, IReadOnlyList<ImageTruth> truths,
        int classCount, double level = 0.95, int resamples = 1000, int seed = 0)
    {
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), level, "the coverage must be in (0, 1)");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "need at least one draw");
        var imgs = Load(detections, truths);
        if (imgs.Length == 0) return (double.NaN, double.NaN);
        var rng = new Random(seed);
        var means = new List<double>(resamples);
        var draw = new Img[imgs.Length];
        for (int b = 0; b < resamples; b++)
        {
            for (int i = 0; i < draw.Length; i++) draw[i] = imgs[rng.Next(imgs.Length)];
            double m = VocMapOf(draw, classCount, 0.5, false).Mean;
            if (!double.IsNaN(m)) means.Add(m);
        }
        if (means.Count == 0) return (double.NaN, double.NaN);
        means.Sort();
        double tail = (1 - level) / 2;
        return (Quantile(means, tail), Quantile(means, 1 - tail));
    }

    // The linear-interpolation quantile of sorted values (numpy's default).
    private static double Quantile(List<double> sorted, double q)
    {
        double at = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }

    private static MeanAveragePrecision VocMapOf(Img[] imgs, int classCount, double iouThreshold, bool elevenPoint)
    {
        var ap = new double[classCount];
        for (int c = 0; c < classCount; c++)
        {
            var dets = new List<(float Score, int Img, int Det)>();
            int npos = 0;
            for (int i = 0; i < imgs.Length; i++)
            {
                for (int d = 0; d < imgs[i].DetLabels.Length; d++)
                    if (imgs[i].DetLabels[d] == c) dets.Add((imgs[i].DetScores[d], i, d));
                for (int g = 0; g < imgs[i].GtLabels.Length; g++)
                    if (imgs[i].GtLabels[g] == c && !imgs[i].GtDifficult[g]) npos++;
            }
            if (npos == 0) { ap[c] = double.NaN; continue; }
            dets.Sort((p, q) => q.Score.CompareTo(p.Score));
            var taken = imgs.Select(im => new bool[im.GtLabels.Length]).ToArray();
            var tp = new List<double>(); var fp = new List<double>();
            foreach (var (_, i, d) in dets)
            {
                var im = imgs[i];
                double best = double.NegativeInfinity; int jbest = -1;
                for (int g = 0; g < im.GtLabels.Length; g++)
                {
                    if (im.GtLabels[g] != c) continue;
                    double o = BoxList.At(im.DetBoxes, d).Iou(BoxList.At(im.GtBoxes, g));
                    if (o > best) { best = o; jbest = g; }
                }
                if (jbest >= 0 && best > iouThreshold)
                {
                    if (im.GtDifficult[jbest]) continue;
                    if (!taken[i][jbest]) { taken[i][jbest] = true; tp.Add(1); fp.Add(0); }
                    else { tp.Add(0); fp.Add(1); }
                }
                else { tp.Add(0); fp.Add(1); }
            }
            var (rec, prec) = Curve(tp, fp, npos);
            ap[c] = elevenPoint ? ElevenPoint(rec, prec) : AllPoint(rec, prec);
        }
        return new MeanAveragePrecision(ap, MeanOf(ap));
    }

    /// <summary>
    /// COCO mAP: the mean over IoU thresholds 0.50, 0.55, …, 0.95 and over classes of the 101-point interpolated
    /// precision, with at most <paramref name="maxDetections"/> detections per image and class; each detection is
    /// matched to the unmatched ground-truth box with the highest IoU ≥ the threshold. Difficult boxes are "ignore"
    /// regions: detections matched to them count neither way.
    /// </summary>
    /// <returns>Per-class AP averaged over thresholds, and the overall mean (COCO's "AP").</returns>
    public static MeanAveragePrecision CocoMap(IReadOnlyList<ImageDetections> detections, IReadOnlyList<ImageTruth> truths,
        int classCount, int maxDetections = 100)
    {
        var imgs = Load(detections, truths);
        var ap = new double[classCount];
        for (int c = 0; c < classCount; c++)
        {
            int npos = 0;
            foreach (var im in imgs)
                for (int g = 0; g < im.GtLabels.Length; g++)
                    if (im.GtLabels[g] == c && !im.GtDifficult[g]) npos++;
            if (npos == 0) { ap[c] = double.NaN; continue; }
            double sum = 0;
            for (int ti = 0; ti < 10; ti++)
            {
                double t = 0.5 + 0.05 * ti;
                var scored = new List<(float Score, int Order, bool Tp)>();
                int order = 0;
                foreach (var im in imgs)
                {
                    var dIdx = Enumerable.Range(0, im.DetLabels.Length).Where(d => im.DetLabels[d] == c)
                        .OrderByDescending(d => im.DetScores[d]).Take(maxDetections).ToArray();
                    // Non-ignored ground truth first, so a real match is preferred to an ignore region.
                    var gIdx = Enumerable.Range(0, im.GtLabels.Length).Where(g => im.GtLabels[g] == c)
                        .OrderBy(g => im.GtDifficult[g]).ToArray();
                    var matched = new bool[gIdx.Length];
                    foreach (int d in dIdx)
                    {
                        double best = Math.Min(t, 1 - 1e-10); int m = -1;
                        for (int gi = 0; gi < gIdx.Length; gi++)
                        {
                            if (matched[gi]) continue;
                            if (m >= 0 && !im.GtDifficult[gIdx[m]] && im.GtDifficult[gIdx[gi]]) break;
                            double o = BoxList.At(im.DetBoxes, d).Iou(BoxList.At(im.GtBoxes, gIdx[gi]));
                            if (o < best) continue;
                            best = o; m = gi;
                        }
                        if (m >= 0)
                        {
                            matched[m] = true;
                            if (im.GtDifficult[gIdx[m]]) continue;
                            scored.Add((im.DetScores[d], order++, true));
                        }
                        else scored.Add((im.DetScores[d], order++, false));
                    }
                }
                scored.Sort((p, q) => p.Score != q.Score ? q.Score.CompareTo(p.Score) : p.Order.CompareTo(q.Order));
                var tp = scored.Select(x => x.Tp ? 1.0 : 0).ToList();
                var fp = scored.Select(x => x.Tp ? 0.0 : 1).ToList();
                var (rec, prec) = Curve(tp, fp, npos);
                for (int i = prec.Length - 2; i >= 0; i--) prec[i] = Math.Max(prec[i], prec[i + 1]);
                double q = 0;
                for (int r = 0; r <= 100; r++)
                {
                    double rt = r / 100.0;
                    int pos = LowerBound(rec, rt);
                    if (pos < prec.Length) q += prec[pos];
                }
                sum += q / 101;
            }
            ap[c] = sum / 10;
        }
        return new MeanAveragePrecision(ap, MeanOf(ap));
    }

    private static int LowerBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { int mid = (lo + hi) / 2; if (a[mid] < v) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static (double[] Rec, double[] Prec) Curve(List<double> tp, List<double> fp, int npos)
    {
        var rec = new double[tp.Count]; var prec = new double[tp.Count];
        double ctp = 0, cfp = 0;
        for (int i = 0; i < tp.Count; i++)
        {
            ctp += tp[i]; cfp += fp[i];
            rec[i] = ctp / npos;
            prec[i] = ctp / Math.Max(ctp + cfp, double.Epsilon);
        }
        return (rec, prec);
    }

    /// <summary>Area under the precision envelope (VOC 2010+ all-point interpolation).</summary>
    internal static double AllPoint(double[] rec, double[] prec)
    {
        int n = rec.Length;
        var mrec = new double[n + 2]; var mpre = new double[n + 2];
        mrec[0] = 0; mpre[0] = 0; mrec[n + 1] = 1; mpre[n + 1] = 0;
        for (int i = 0; i < n; i++) { mrec[i + 1] = rec[i]; mpre[i + 1] = prec[i]; }
        for (int i = n; i >= 0; i--) mpre[i] = Math.Max(mpre[i], mpre[i + 1]);
        double ap = 0;
        for (int i = 1; i < n + 2; i++)
            if (mrec[i] != mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
        return ap;
    }

    /// <summary>VOC 2007 11-point AP: mean over recall 0, 0.1, …, 1 of the best precision at recall ≥ r.</summary>
    internal static double ElevenPoint(double[] rec, double[] prec)
    {
        double ap = 0;
        for (int k = 0; k <= 10; k++)
        {
            double t = k / 10.0, p = 0;
            for (int i = 0; i < rec.Length; i++) if (rec[i] >= t) p = Math.Max(p, prec[i]);
            ap += p / 11;
        }
        return ap;
    }

    private static double MeanOf(double[] ap)
    {
        var v = ap.Where(x => !double.IsNaN(x)).ToArray();
        return v.Length == 0 ? double.NaN : v.Average();
    }

    private static Img[] Load(IReadOnlyList<ImageDetections> detections, IReadOnlyList<ImageTruth> truths)
    {
        if (detections.Count != truths.Count)
            throw new ArgumentException($"detections are given for {detections.Count} images but ground truth for {truths.Count}");
        var imgs = new Img[truths.Count];
        for (int i = 0; i < imgs.Length; i++)
        {
            var d = detections[i]; var t = truths[i];
            var im = new Img
            {
                DetBoxes = Boxes.ToArray(d.Boxes),
                GtBoxes = Boxes.ToArray(t.Boxes),
            };
            int k = im.DetBoxes.Length / 4, g = im.GtBoxes.Length / 4;
            im.DetScores = Boxes.ScoresArray(d.Scores, k);
            im.DetLabels = Longs(d.Labels, k, $"image {i} detection labels");
            im.GtLabels = Longs(t.Labels, g, $"image {i} ground-truth labels");
            if (t.Difficult is null) im.GtDifficult = new bool[g];
            else
            {
                if (t.Difficult.numel() != g) throw new ArgumentException($"image {i}: {g} ground-truth boxes but {t.Difficult.numel()} difficult flags");
                using var db = t.Difficult.to_type(ScalarType.Bool).cpu().contiguous();
                im.GtDifficult = g == 0 ? [] : db.data<bool>().ToArray();
            }
            Boxes.Validate(d.Boxes, source: $"image {i} detections");
            Boxes.Validate(t.Boxes, source: $"image {i} ground truth");
            imgs[i] = im;
        }
        return imgs;
    }

    internal static long[] Longs(Tensor t, int expected, string what)
    {
        if (t.numel() != expected) throw new ArgumentException($"{what}: expected {expected} values, got {t.numel()}");
        if (expected == 0) return [];
        using var l = t.to_type(ScalarType.Int64).cpu().contiguous();
        return l.data<long>().ToArray();
    }
}
