using Aperture.Data.Formats;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// The images a segmentation run trains and is scored on, in memory with their class masks: a VOC folder
/// (<c>SegmentationClass/*.png</c>, palette or grey, 255 = ignore) or a COCO folder (polygons and RLE rasterised to
/// masks), read by <see cref="DetectionDataset"/> — the generator's scenes (<see cref="Data.Scenes.ScenesWriter.Ensure"/>,
/// test scenes made of Fashion-MNIST test items only) or the user's own. Also the per-channel pixel statistics of the
/// training images, which every model normalises with.
/// </summary>
public sealed class SegmentationData : IDisposable
{
    private SegmentationData(string root, DatasetFormat format, IReadOnlyList<string> classNames, List<SegmentationImage> train,
        List<SegmentationImage> validation, List<SegmentationImage> test, float[] mean, float[] std)
    {
        Root = root; Format = format; ClassNames = classNames; Train = train; Validation = validation; Test = test; Mean = mean; Std = std;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>Its format.</summary>
    public DatasetFormat Format { get; }

    /// <summary>Object class names (mask value = class id + 1; 0 is background).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes K scored, background included.</summary>
    public int Classes => ClassNames.Count + 1;

    /// <summary>Training images.</summary>
    public IReadOnlyList<SegmentationImage> Train { get; }

    /// <summary>Validation images (may be empty).</summary>
    public IReadOnlyList<SegmentationImage> Validation { get; }

    /// <summary>Test (held-out) images.</summary>
    public IReadOnlyList<SegmentationImage> Test { get; }

    /// <summary>Per-channel mean of the training pixels in [0, 1], <c>[3]</c>.</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel standard deviation of the training pixels, <c>[3]</c>.</summary>
    public float[] Std { get; }

    /// <summary>Loads a dataset folder's splits into memory.</summary>
    /// <param name="root">VOC or COCO folder with a train and a test split (val optional).</param>
    /// <param name="format">Its format, or auto.</param>
    /// <param name="limitTrain">At most this many training images (0: all).</param>
    /// <param name="limitValidation">At most this many validation images (0: none).</param>
    /// <param name="limitTest">At most this many test images (0: all).</param>
    /// <exception cref="InvalidDataException">No train or test split, an image without a mask, a mask whose size differs
    /// from its image, or a label outside the class list; the message names the file.</exception>
    public static SegmentationData Load(string root, DatasetFormat format = DatasetFormat.Auto, int limitTrain = 0, int limitValidation = 0, int limitTest = 0)
    {
        var splits = DetectionDataset.Splits(root);
        foreach (string needed in new[] { "train", "test" })
            if (!splits.Contains(needed)) throw new InvalidDataException($"{root}: no '{needed}' split (found: {string.Join(", ", splits)})");
        var trainSet = DetectionDataset.Load(root, "train", format);
        var train = Read(trainSet, limitTrain);
        var validation = limitValidation > 0 && splits.Contains("val") ? Read(DetectionDataset.Load(root, "val", format), limitValidation) : [];
        var test = Read(DetectionDataset.Load(root, "test", format), limitTest);
        var (mean, std) = Statistics(train);
        return new SegmentationData(root, trainSet.Format, trainSet.ClassNames, train, validation, test, mean, std);
    }

    /// <summary>Reads the images and class masks of a split, checking every label against its class list.</summary>
    /// <param name="set">The split.</param>
    /// <param name="limit">At most this many images (0: all).</param>
    /// <exception cref="InvalidDataException">An image has no mask, a mask's size differs from its image, or a mask holds a
    /// value that is neither background, a class id + 1, nor 255; the message names the file.</exception>
    public static List<SegmentationImage> Read(DetectionDataset set, int limit = 0)
    {
        var samples = limit > 0 ? set.Samples.Take(limit) : set.Samples;
        var result = new List<SegmentationImage>();
        int classes = set.ClassNames.Count;
        foreach (var s in samples)
        {
            using var scope = NewDisposeScope();
            if (!s.HasMasks)
                throw new InvalidDataException($"{s.ImagePath}: no class mask (VOC: SegmentationClass/{Path.GetFileNameWithoutExtension(s.ImagePath)}.png; COCO: a segmentation per object)");
            var image = s.LoadImage();
            var mask = s.LoadClassMask()!;
            string maskFile = s.ClassMaskPath ?? $"{s.ImagePath} (mask painted from {set.Root}'s COCO segmentations)";
            if (mask.shape[0] != image.shape[1] || mask.shape[1] != image.shape[2])
                throw new InvalidDataException($"{maskFile}: mask is {mask.shape[1]}x{mask.shape[0]} but its image is {image.shape[2]}x{image.shape[1]}");
            var bad = mask.gt(classes).logical_and(mask.ne(PixelCrossEntropy.IgnoreLabel));
            if (bad.any().item<bool>())
            {
                long v = mask.masked_select(bad)[0].item<byte>();
                throw new InvalidDataException($"{maskFile}: label {v} is outside the class list (0 = background, 1..{classes} = {string.Join(", ", set.ClassNames.Take(5))}{(classes > 5 ? ", ..." : "")}; 255 = ignore)");
            }
            if (image.shape[0] == 1) image = image.expand(3, -1, -1).contiguous();
            result.Add(new SegmentationImage(Path.GetFileNameWithoutExtension(s.ImagePath), s.ImagePath, image, mask));
        }
        return result;
    }

    /// <summary>
    /// Median-frequency class weights (Eigen &amp; Fergus, ICCV 2015): <c>w_c = median_k f_k / f_c</c>, where f_c is the
    /// number of pixels of class c divided by the number of pixels of the images that contain c; ignored pixels are not
    /// counted, and a class absent from every image gets weight 1. Background, which covers most of a scene, gets a
    /// weight below 1 and small objects one above it.
    /// </summary>
    /// <param name="images">Training images.</param>
    /// <param name="classes">K, background included.</param>
    /// <returns>Weights <c>[K]</c>.</returns>
    public static float[] MedianFrequencyWeights(IReadOnlyList<SegmentationImage> images, int classes)
    {
        var pixels = new double[classes];
        var present = new double[classes];
        foreach (var im in images)
        {
            var counts = new long[classes];
            long valid = 0;
            foreach (byte v in im.MaskBytes())
                if (v < classes) { counts[v]++; valid++; }
            for (int c = 0; c < classes; c++)
                if (counts[c] > 0) { pixels[c] += counts[c]; present[c] += valid; }
        }
        var freq = Enumerable.Range(0, classes).Select(c => present[c] > 0 ? pixels[c] / present[c] : double.NaN).ToArray();
        var known = freq.Where(f => !double.IsNaN(f)).Order().ToArray();
        if (known.Length == 0) return Enumerable.Repeat(1f, classes).ToArray();
        double median = known.Length % 2 == 1 ? known[known.Length / 2] : (known[known.Length / 2 - 1] + known[known.Length / 2]) / 2;
        return freq.Select(f => double.IsNaN(f) ? 1f : (float)(median / f)).ToArray();
    }

    private static (float[] Mean, float[] Std) Statistics(IReadOnlyList<SegmentationImage> images)
    {
        if (images.Count == 0) throw new InvalidDataException("the training split holds no image");
        var sum = new double[3]; var sq = new double[3]; long n = 0;
        using var scope = NewDisposeScope();
        foreach (var im in images)
        {
            var x = im.Image.to_type(ScalarType.Float64).div(255).view(3, -1);
            var s = x.sum(1).data<double>().ToArray();
            var q = x.square().sum(1).data<double>().ToArray();
            for (int c = 0; c < 3; c++) { sum[c] += s[c]; sq[c] += q[c]; }
            n += x.shape[1];
        }
        var mean = sum.Select(v => (float)(v / n)).ToArray();
        var std = sq.Select((v, c) => (float)Math.Sqrt(Math.Max(v / n - (double)mean[c] * mean[c], 1e-6))).ToArray();
        return (mean, std);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var im in Train.Concat(Validation).Concat(Test)) im.Dispose();
    }
}
