using System.Text.Json;
using Aperture.Core;
using Aperture.Data.Formats;

namespace Aperture.Data.Scenes;

/// <summary>What <see cref="ScenesWriter.Write"/> wrote.</summary>
/// <param name="Root">The output folder.</param>
/// <param name="Splits">Number of scenes per split name.</param>
/// <param name="Objects">Total number of objects over all scenes.</param>
/// <param name="ClassNames">Class names by class id.</param>
public sealed record SceneSetSummary(string Root, IReadOnlyDictionary<string, int> Splits, int Objects, IReadOnlyList<string> ClassNames);

/// <summary>
/// Generates a set of scenes and writes them in one folder, readable by <see cref="DetectionDataset"/> as VOC or COCO:
/// <code>
/// JPEGImages/scene_000000.png       RGB scene (PNG, lossless)
/// Annotations/scene_000000.xml      Pascal VOC boxes (1-based inclusive coordinates)
/// SegmentationClass/scene_000000.png   grey 8-bit: 0 background, class id + 1
/// SegmentationObject/scene_000000.png  grey 8-bit: 0 background, instance 1..K (object order in the XML)
/// ImageSets/Main/{train,val,test}.txt, ImageSets/Segmentation/{train,val,test}.txt
/// coco/instances_{train,val,test}.json  COCO instances with RLE segmentations (file_name relative to JPEGImages/)
/// classes.txt                       class names, line i = class id i
/// scenes.json, README.md            generation parameters
/// </code>
/// </summary>
public static class ScenesWriter
{
    /// <summary>
    /// How many training items the validation scenes draw from when test items are given: at most this many (and at most
    /// a tenth), held out by <see cref="LabeledImages.Split"/> at <see cref="HeldOutSeed"/> — the same images
    /// <c>aperture train classify</c> holds out for validation at its defaults, so a body pre-trained that way (the
    /// shipped one was) never trained on an item of a validation scene.
    /// </summary>
    public const int HeldOutItems = 5000;

    /// <summary>The seed of the validation items' hold-out, whatever the scenes' seed (that of the shipped body's run).</summary>
    public const long HeldOutSeed = 0;

    /// <summary>
    /// The scene folder a training verb works on: writes <paramref name="count"/> generated scenes (VOC + COCO + masks,
    /// 80/10/10 train/val/test; test scenes made only of Fashion-MNIST test items, validation scenes of the training items
    /// held out by <see cref="HeldOutItems"/>, training scenes of the rest) into <paramref name="dir"/>, or reuses
    /// those already there. Shared by detection and segmentation.
    /// </summary>
    /// <param name="dir">Dataset folder.</param>
    /// <param name="count">Scenes in all.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="fashionMnist">Fashion-MNIST folder, or null to search the usual places.</param>
    /// <param name="log">Progress lines, or null.</param>
    /// <returns><paramref name="dir"/>.</returns>
    public static string Ensure(string dir, int count, long seed, string? fashionMnist, TextWriter? log = null)
    {
        if (File.Exists(Path.Combine(dir, "scenes.json")) && File.Exists(Path.Combine(dir, "ImageSets", "Main", "test.txt")))
        {
            log?.WriteLine($"scenes: reusing {dir}");
            return dir;
        }
        using var trainItems = FashionMnist.Load(DatasetSplit.Train, fashionMnist);
        using var testItems = FashionMnist.Load(DatasetSplit.Test, fashionMnist);
        using var progress = ProgressReporter.From(log);
        using var task = progress.Start("scenes", count);
        var summary = Write(dir, trainItems, count, seed, new SceneOptions(), progress: ProgressReporter.Counting(task), testItems: testItems);
        task.Dispose();
        log?.WriteLine($"scenes: wrote {summary.Splits.Values.Sum()} scenes ({summary.Objects} objects) to {dir}");
        return dir;
    }

    /// <summary>
    /// Generates <paramref name="count"/> scenes from <paramref name="items"/> with <paramref name="seed"/> and writes them
    /// (in parallel) under <paramref name="outDir"/>; every file is written atomically. The same arguments give identical files.
    /// </summary>
    /// <param name="outDir">The output folder (created if missing).</param>
    /// <param name="items">Item images <c>uint8 [N, C, h, w]</c> with labels (e.g. Fashion-MNIST).</param>
    /// <param name="count">Number of scenes.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="options">Scene parameters (defaults when null).</param>
    /// <param name="splits">Train/val/test fractions (0.8/0.1/0.1 when null).</param>
    /// <param name="progress">Told the number of scenes written so far, from worker threads.</param>
    /// <param name="testItems">Items for the scenes of the <c>test</c> split (e.g. Fashion-MNIST's test images), so that no
    /// item seen in training appears in a test scene. When given, the <c>val</c> split draws from the
    /// <see cref="HeldOutItems"/> of <paramref name="items"/> and the <c>train</c> split from the others, so that neither a
    /// pre-trained body nor the training scenes hold a validation scene's item and validation ranks epochs and settings as
    /// test would (with validation on training items it favoured whatever kept the body's memory of them). When null,
    /// every split draws from <paramref name="items"/>.</param>
    public static SceneSetSummary Write(string outDir, LabeledImages items, int count, long seed,
        SceneOptions? options = null, SceneSplits? splits = null, IProgress<int>? progress = null, LabeledImages? testItems = null)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the number of scenes must be at least 1");
        splits ??= new SceneSplits();
        if (testItems is not null && !testItems.ClassNames.SequenceEqual(items.ClassNames))
            throw new ArgumentException("the test items must have the same class names as the training items", nameof(testItems));
        long heldOut = testItems is null ? 0 : Math.Min(HeldOutItems, items.Count / 10);
        SceneGenerator generator, validationGenerator;
        if (heldOut == 0) generator = validationGenerator = new(items, seed, options);
        else
        {
            var (rest, held) = items.Split(heldOut, HeldOutSeed);
            using (rest) using (held)   // the generators copy the pixels
                (generator, validationGenerator) = (new(rest, seed, options), new(held, seed, options));
        }
        var testGenerator = testItems is null ? generator : new SceneGenerator(testItems, seed, options);
        var parts = splits.Assign(count);
        string SplitOf(int i) => parts.First(p => i >= p.Start && i < p.Start + p.Count).Name;
        SceneGenerator GeneratorOf(int i) => SplitOf(i) switch { "test" => testGenerator, "val" => validationGenerator, _ => generator };
        Aperture.Core.OutputFolder.Create(outDir);

        var annotations = new ImageAnnotation[count];
        int done = 0;
        Parallel.For(0, count, i =>
        {
            var scene = GeneratorOf(i).Generate(i);
            string id = SceneId(i);
            var ann = new ImageAnnotation(id, id + ".png", scene.Width, scene.Height, scene.Objects);
            using (var image = scene.ImageTensor())
                Imaging.ImageTensor.Write(Path.Combine(outDir, "JPEGImages", id + ".png"), image);
            LabelMask.Write(Path.Combine(outDir, "SegmentationClass", id + ".png"), scene.ClassMask, scene.Width, scene.Height);
            LabelMask.Write(Path.Combine(outDir, "SegmentationObject", id + ".png"), scene.InstanceMask, scene.Width, scene.Height);
            VocFormat.WriteAnnotation(Path.Combine(outDir, "Annotations", id + ".xml"), ann, depth: 3, segmented: true);
            annotations[i] = ann;
            progress?.Report(Interlocked.Increment(ref done));
        });

        foreach (var (name, start, n) in parts)
        {
            var ids = Enumerable.Range(start, n).Select(SceneId).ToList();
            VocFormat.WriteImageSet(outDir, name, ids);
            VocFormat.WriteImageSet(outDir, name, ids, "Segmentation");
            CocoFormat.Write(Path.Combine(outDir, "coco", $"instances_{name}.json"), generator.ClassNames,
                annotations.Skip(start).Take(n).ToList(),
                k => LabelMask.ReadBytes(Path.Combine(outDir, "SegmentationObject", SceneId(start + k) + ".png")).Mask);
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "classes.txt"), string.Concat(generator.ClassNames.Select(c => c + "\n")));

        var o = generator.Options;
        var info = new
        {
            generator = typeof(SceneGenerator).FullName,
            seed,
            count,
            items = new { source = items.Source, count = items.Count, classes = generator.ClassNames },
            validation_items = heldOut > 0 ? new { held_out = heldOut, seed = HeldOutSeed } : null,
            test_items = testItems is null ? null : new { source = testItems.Source, count = testItems.Count },
            options = o,
            splits = parts.Select(p => new { name = p.Name, first = p.Start, count = p.Count }),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "scenes.json"),
            JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(outDir, "README.md"), Readme(count, seed, o, parts, testItems is null
            ? $"the items in {items.Source}"
            : $"{items.Count - heldOut} of the items in {items.Source} (training scenes), the {heldOut} others, held out at seed {HeldOutSeed} (validation scenes), and the items in {testItems.Source} (test scenes)"));

        return new SceneSetSummary(outDir, parts.ToDictionary(p => p.Name, p => p.Count),
            annotations.Sum(a => a.Objects.Count), generator.ClassNames);
    }

    /// <summary>The id (file name stem) of scene <paramref name="index"/>: <c>scene_000042</c>.</summary>
    public static string SceneId(int index) => $"scene_{index:D6}";

    private static string Readme(int count, long seed, SceneOptions o, IReadOnlyList<(string Name, int Start, int Count)> parts, string itemsUsed) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"""
        # Aperture scenes

        {count} scenes of {o.Width}x{o.Height} pixels, seed {seed}, made by Aperture's scene generator from {itemsUsed}.
        Each scene holds {o.MinItems}–{o.MaxItems} items scaled {o.MinScale}x–{o.MaxScale}x, tinted and placed on a cluttered background;
        an item hides at most {o.MaxOcclusion * 100:0}% of an earlier item's visible area and every listed object keeps at least
        {o.MinVisiblePixels} visible pixels. Splits: {string.Join(", ", parts.Select(p => $"{p.Name} {p.Count}"))}.

        - `JPEGImages/` RGB scenes (PNG).
        - `Annotations/` Pascal VOC XML; boxes are 1-based inclusive pixel indices (xmin = x1 + 1, xmax = x2 in 0-based exclusive coordinates).
          Each box is the tight box of the object's visible pixels.
        - `SegmentationClass/` 8-bit grey PNG: 0 background, class id + 1 (class ids as in `classes.txt`, line order from 0).
        - `SegmentationObject/` 8-bit grey PNG: 0 background, 1..K = the objects in the order of the XML file.
        - `ImageSets/Main/`, `ImageSets/Segmentation/` split lists.
        - `coco/instances_<split>.json` COCO instances: bbox [x, y, w, h], category id = class id + 1, uncompressed RLE segmentation.
        - `scenes.json` all generation parameters; the same parameters regenerate identical files.

        """);
}
