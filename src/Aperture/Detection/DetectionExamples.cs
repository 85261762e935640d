using Aperture.Imaging;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Pictures of a detector's output on test images: its best and worst images, each with its ground truth (thin white
/// boxes) under the detections (boxes in their class's colour with class and score), and a caption counting the
/// detections that are right, those that are wrong and the objects missed — what a person checks by eye.
/// </summary>
public static class DetectionExamples
{
    /// <summary>How one image's detections fare at IoU 0.5.</summary>
    /// <param name="Right">Detections overlapping an unmatched ground-truth box of their class by IoU ≥ 0.5 (greedy, by score).</param>
    /// <param name="Wrong">Other detections: wrong class, badly placed, duplicates or nothing there.</param>
    /// <param name="Missed">Ground-truth boxes no detection matched.</param>
    public readonly record struct Outcome(int Right, int Wrong, int Missed)
    {
        /// <summary>Per-image F1: 2 right / (detections + ground truth); 1 for an empty image left empty.</summary>
        public double F1 => 2 * Right + Wrong + Missed == 0 ? 1 : 2.0 * Right / (2 * Right + Wrong + Missed);
    }

    /// <summary>
    /// Matches the detections scoring at least <paramref name="threshold"/>, best first, to the ground truth: a detection
    /// is right when it overlaps an unmatched ground-truth box of its class by IoU ≥ 0.5.
    /// </summary>
    public static Outcome Match(ImageDetections d, DetectionImage truth, double threshold) => Count(Found.Of(d, truth), threshold);

    private static Outcome Count(Found f, double threshold)
    {
        var taken = new bool[f.TruthLabels.Length];
        int tp = 0, kept = 0;
        foreach (int i in f.ByScore)
        {
            if (f.Scores[i] < threshold) break;
            kept++;
            for (int j = 0; j < taken.Length; j++)
                if (!taken[j] && f.TruthLabels[j] == f.Labels[i] && BoxList.At(f.Boxes, i).Iou(BoxList.At(f.Truth, j)) >= 0.5) { taken[j] = true; tp++; break; }
        }
        return new Outcome(tp, kept - tp, taken.Length - tp);
    }

    /// <summary>One image's detections and ground truth as arrays, the detections' indices best first.</summary>
    private sealed record Found(float[] Boxes, float[] Scores, long[] Labels, int[] ByScore, float[] Truth, long[] TruthLabels)
    {
        public static Found Of(ImageDetections d, DetectionImage truth)
        {
            var b = Ops.Boxes.ToArray(d.Boxes); var s = Ops.Boxes.ScoresArray(d.Scores, b.Length / 4);
            return new Found(b, s, DetectionMetrics.Longs(d.Labels, b.Length / 4, "labels"),
                Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ToArray(), Ops.Boxes.ToArray(truth.Boxes), truth.Labels.data<long>().ToArray());
        }
    }

    /// <summary>
    /// The score the figures draw from: the method's <paramref name="preferred"/> display threshold, or a lower score
    /// when that gives a better F1 over all <paramref name="images"/> (right, wrong and missed summed as in
    /// <see cref="Match"/>). An under-trained detector — a quick report's — scores even its right detections low and
    /// would be drawn with no detection at all. The lower scores tried are those of the detections below
    /// <paramref name="preferred"/>, best first, in steps of an eighth of the number of objects, down to three times it.
    /// </summary>
    public static double DisplayThreshold(DetectorScore score, IReadOnlyList<DetectionImage> images, double preferred)
    {
        var found = images.Select((im, i) => Found.Of(score.Detections[i], im)).ToArray();
        int objects = found.Sum(f => f.TruthLabels.Length), step = Math.Max(1, objects / 8);
        var below = found.SelectMany(f => f.Scores).Where(s => s < preferred).OrderDescending().Take(3 * objects).ToArray();
        var candidates = new List<double> { preferred };
        for (int k = step - 1; k < below.Length; k += step) candidates.Add(below[k]);
        double F1(double t)
        {
            var o = found.Select(f => Count(f, t)).Aggregate((r: 0, w: 0, m: 0), (a, x) => (a.r + x.Right, a.w + x.Wrong, a.m + x.Missed));
            return new Outcome(o.r, o.w, o.m).F1;
        }
        double best = preferred, bestF1 = F1(preferred);
        foreach (double t in candidates.Skip(1))
            if (F1(t) is var f1 && f1 > bestF1) (best, bestF1) = (t, f1);
        return best;
    }

    /// <summary>
    /// Draws the <paramref name="count"/> best (or worst) images by per-image F1 (<see cref="Match"/>) with their ground truth and
    /// their detections scoring at least <paramref name="threshold"/> (see <see cref="DisplayThreshold"/>),
    /// tiled in one PNG at <paramref name="path"/> (upscaled <paramref name="scale"/> times). Returns the indices of the images drawn.
    /// </summary>
    public static int[] Write(string path, DetectorScore score, IReadOnlyList<DetectionImage> images, IReadOnlyList<string> classNames,
        int count, bool worst, double threshold, int scale = 2)
    {
        double t = threshold;
        var outcomes = images.Select((im, i) => Match(score.Detections[i], im, t)).ToArray();
        var order = Enumerable.Range(0, images.Count).OrderBy(i => worst ? outcomes[i].F1 : -outcomes[i].F1).ThenBy(i => i).Take(count).ToArray();
        using var scope = NewDisposeScope();
        var tiles = new List<Tensor>();
        var captions = new List<Caption>();
        var truthStyle = new BoxStyle { Color = SkiaSharp.SKColors.White, ShowLabels = false, LineWidth = 1 };
        foreach (int i in order)
        {
            var d = score.Detections[i];
            var keep = d.Scores.ge(t);
            var img = images[i].Image;
            if (scale > 1) img = nn.functional.interpolate(img.unsqueeze(0).to_type(ScalarType.Float32), scale_factor: new double[] { scale, scale }, mode: InterpolationMode.Nearest)[0].round().clamp(0, 255).to_type(ScalarType.Byte);
            if (images[i].Boxes.shape[0] > 0) img = BoxDrawing.Draw(img, images[i].Boxes.mul(scale), style: truthStyle);
            tiles.Add(Draw(img, d.Boxes.index(keep).mul(scale), d.Labels.index(keep), classNames, d.Scores.index(keep)));
            var o = outcomes[i];
            captions.Add(Caption.Plain($"{images[i].Id}\n{o.Right} right, {o.Wrong} wrong, {o.Missed} missed"));
        }
        var grid = ImageGrid.Tile(stack(tiles), columns: Math.Min(4, tiles.Count), captions: captions);
        ImageTensor.Write(path, grid);
        return order;
    }

    /// <summary>Draws detections on one image and writes it as PNG; returns nothing.</summary>
    public static void WriteOne(string path, Tensor image, ImageDetections d, IReadOnlyList<string> classNames, double threshold)
    {
        using var scope = NewDisposeScope();
        var keep = d.Scores.ge(threshold);
        ImageTensor.Write(path, Draw(image, d.Boxes.index(keep), d.Labels.index(keep), classNames, d.Scores.index(keep)));
    }

    // BoxDrawing reads the boxes with data<T>().ToArray(), which fails on an empty tensor: draw nothing then.
    private static Tensor Draw(Tensor image, Tensor boxes, Tensor labels, IReadOnlyList<string> classNames, Tensor scores) =>
        boxes.shape[0] == 0 ? image.clone() : BoxDrawing.Draw(image, boxes, labels, classNames, scores);
}
