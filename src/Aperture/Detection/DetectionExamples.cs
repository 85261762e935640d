using Aperture.Imaging;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Pictures of a detector's output on test images: its best and worst images, boxes drawn with class and score.</summary>
public static class DetectionExamples
{
    /// <summary>
    /// Per-image F1 at IoU 0.5 of the detections scoring at least <paramref name="threshold"/> (a detection is right when
    /// it overlaps an unmatched ground-truth box of its class by IoU ≥ 0.5).
    /// </summary>
    public static double ImageF1(ImageDetections d, DetectionImage truth, double threshold)
    {
        var b = Boxes.ToArray(d.Boxes); var s = Boxes.ScoresArray(d.Scores, b.Length / 4);
        var l = DetectionMetrics.Longs(d.Labels, b.Length / 4, "labels");
        var g = Boxes.ToArray(truth.Boxes); var gl = truth.Labels.data<long>().ToArray();
        var taken = new bool[gl.Length];
        int tp = 0, kept = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] < threshold) continue;
            kept++;
            for (int j = 0; j < gl.Length; j++)
                if (!taken[j] && gl[j] == l[i] && BoxList.At(b, i).Iou(BoxList.At(g, j)) >= 0.5) { taken[j] = true; tp++; break; }
        }
        return kept + gl.Length == 0 ? 1 : 2.0 * tp / (kept + gl.Length);
    }

    /// <summary>
    /// Draws the <paramref name="count"/> best (or worst) images by <see cref="ImageF1"/> with their detections scoring at least
    /// <paramref name="threshold"/> (the method's <see cref="IDetectorMethod.DisplayThreshold"/>), tiled in one PNG at
    /// <paramref name="path"/> (upscaled <paramref name="scale"/> times). Returns the indices of the images drawn.
    /// </summary>
    public static int[] Write(string path, DetectorScore score, IReadOnlyList<DetectionImage> images, IReadOnlyList<string> classNames,
        int count, bool worst, double threshold, int scale = 2)
    {
        double t = threshold;
        var f1 = images.Select((im, i) => ImageF1(score.Detections[i], im, t)).ToArray();
        var order = Enumerable.Range(0, images.Count).OrderBy(i => worst ? f1[i] : -f1[i]).ThenBy(i => i).Take(count).ToArray();
        using var scope = NewDisposeScope();
        var tiles = new List<Tensor>();
        var captions = new List<Caption>();
        foreach (int i in order)
        {
            var d = score.Detections[i];
            var keep = d.Scores.ge(t);
            var img = images[i].Image;
            if (scale > 1) img = nn.functional.interpolate(img.unsqueeze(0).to_type(ScalarType.Float32), scale_factor: new double[] { scale, scale }, mode: InterpolationMode.Nearest)[0].round().clamp(0, 255).to_type(ScalarType.Byte);
            tiles.Add(Draw(img, d.Boxes.index(keep).mul(scale), d.Labels.index(keep), classNames, d.Scores.index(keep)));
            captions.Add(Caption.Plain($"{images[i].Id}: F1 {f1[i]:F2}"));
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
