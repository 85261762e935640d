namespace Aperture.Data.Formats;

/// <summary>
/// A detection / segmentation dataset read from a folder in Pascal VOC or COCO layout (see <see cref="DatasetFormat"/>):
/// the images of one split with their boxes, labels and optional masks, ready for detection and segmentation training.
/// </summary>
public sealed class DetectionDataset
{
    private DetectionDataset(string root, DatasetFormat format, string split, IReadOnlyList<string> classNames, IReadOnlyList<DetectionSample> samples)
    {
        Root = root;
        Format = format;
        Split = split;
        ClassNames = classNames;
        Samples = samples;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>The layout that was read (never <see cref="DatasetFormat.Auto"/>).</summary>
    public DatasetFormat Format { get; }

    /// <summary>The split read ("train", "val", "test", ...), or "all".</summary>
    public string Split { get; }

    /// <summary>Class names by class id (the class mask holds class id + 1).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The images with their annotations.</summary>
    public IReadOnlyList<DetectionSample> Samples { get; }

    /// <summary>Number of images.</summary>
    public int Count => Samples.Count;

    /// <summary>
    /// Loads one split of a dataset folder.
    /// <para>
    /// VOC: the ids come from <c>ImageSets/Main/&lt;split&gt;.txt</c> (split "all": every <c>Annotations/*.xml</c>); class names from
    /// <c>classes.txt</c> in the root (one per line, line i = class id i) when present, else the 20 VOC classes when every name
    /// is one of them, else the sorted names used in the annotations. Masks from <c>SegmentationClass/&lt;id&gt;.png</c> and
    /// <c>SegmentationObject/&lt;id&gt;.png</c> when present.
    /// </para>
    /// <para>COCO: <c>annotations/instances_&lt;split&gt;.json</c> or <c>coco/instances_&lt;split&gt;.json</c>; masks from the segmentations.</para>
    /// </summary>
    /// <param name="root">The dataset folder.</param>
    /// <param name="split">The split name.</param>
    /// <param name="format">The layout, or <see cref="DatasetFormat.Auto"/> to detect it.</param>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">Neither layout found, a bad annotation, or a missing image; the message names the file.</exception>
    public static DetectionDataset Load(string root, string split = "train", DatasetFormat format = DatasetFormat.Auto)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: no such dataset folder");
        if (format == DatasetFormat.Auto)
        {
            if (Directory.Exists(Path.Combine(root, "Annotations"))) format = DatasetFormat.Voc;
            else if (CocoJson(root, split) is not null || CocoCandidates(root, "*").Any()) format = DatasetFormat.Coco;
            else
                throw new InvalidDataException(
                    $"{root}: neither a Pascal VOC folder (Annotations/, JPEGImages/, ImageSets/Main/) nor a COCO folder (annotations/instances_<split>.json)");
        }
        return format == DatasetFormat.Voc ? LoadVoc(root, split) : LoadCoco(root, split);
    }

    /// <summary>The split names present in a dataset folder (VOC image sets or COCO instances files), sorted.</summary>
    public static IReadOnlyList<string> Splits(string root)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        string main = Path.Combine(root, "ImageSets", "Main");
        if (Directory.Exists(main))
            foreach (var f in Directory.GetFiles(main, "*.txt")) names.Add(Path.GetFileNameWithoutExtension(f));
        foreach (var f in CocoCandidates(root, "*"))
            names.Add(Path.GetFileNameWithoutExtension(f)["instances_".Length..]);
        return names.ToList();
    }

    private static IEnumerable<string> CocoCandidates(string root, string split) =>
        new[] { "annotations", "coco" }
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, $"instances_{split}.json"));

    private static string? CocoJson(string root, string split) => CocoCandidates(root, split).FirstOrDefault();

    private static DetectionDataset LoadVoc(string root, string split)
    {
        string annDir = Path.Combine(root, "Annotations");
        if (!Directory.Exists(annDir)) throw new InvalidDataException($"{root}: not a VOC folder: no Annotations/ folder");
        IReadOnlyList<string> ids = split == "all"
            ? Directory.GetFiles(annDir, "*.xml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()!
            : VocFormat.ReadImageSet(root, split);

        IReadOnlyList<string> classNames;
        string classesFile = Path.Combine(root, "classes.txt");
        if (File.Exists(classesFile))
            classNames = File.ReadAllLines(classesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        else
        {
            var used = Directory.GetFiles(annDir, "*.xml").SelectMany(VocFormat.ReadClassNamesUsed).ToHashSet(StringComparer.Ordinal);
            classNames = used.All(VocFormat.Voc20Classes.Contains) ? VocFormat.Voc20Classes : used.Order(StringComparer.Ordinal).ToList();
        }

        var samples = new List<DetectionSample>(ids.Count);
        foreach (string id in ids)
        {
            string xml = Path.Combine(annDir, id + ".xml");
            if (!File.Exists(xml))
                throw new InvalidDataException($"{Path.Combine(root, "ImageSets", "Main", split + ".txt")}: lists '{id}' but {xml} does not exist");
            var ann = VocFormat.ReadAnnotation(xml, classNames);
            string images = Path.Combine(root, "JPEGImages");
            string image = ResolveUnder(images, ann.FileName, xml);
            if (!File.Exists(image))
                throw new InvalidDataException($"{xml}: its image {ann.FileName} is not in {images}; add the image or fix <filename>");
            string? cls = Path.Combine(root, "SegmentationClass", id + ".png");
            string? obj = Path.Combine(root, "SegmentationObject", id + ".png");
            samples.Add(new DetectionSample(image, ann, File.Exists(cls) ? cls : null, File.Exists(obj) ? obj : null));
        }
        return new DetectionDataset(root, DatasetFormat.Voc, split, classNames, samples);
    }

    /// <summary>
    /// The path of the image <paramref name="name"/> (from an annotation file) inside <paramref name="folder"/>; a name
    /// that is absolute or climbs out of the folder with <c>..</c> is refused.
    /// </summary>
    /// <exception cref="InvalidDataException">The name is empty, absolute, or resolves outside the folder; the message
    /// names <paramref name="annotationFile"/>.</exception>
    public static string ResolveUnder(string folder, string name, string annotationFile)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new InvalidDataException($"{annotationFile}: an image file name is empty");
        if (Path.IsPathRooted(name))
            throw new InvalidDataException($"{annotationFile}: image file name '{name}' is absolute; it must be relative to {folder}");
        string full = Path.GetFullPath(Path.Combine(folder, name));
        string dir = Path.GetFullPath(folder);
        string prefix = Path.EndsInDirectorySeparator(dir) ? dir : dir + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"{annotationFile}: image file name '{name}' leads outside {folder}; it must name a file inside it");
        return full;
    }

    private static DetectionDataset LoadCoco(string root, string split)
    {
        string json = CocoJson(root, split)
            ?? throw new InvalidDataException($"{root}: no COCO file annotations/instances_{split}.json (splits present: {string.Join(", ", Splits(root))})");
        var coco = CocoFormat.Read(json);
        string[] dirs =
        [
            Path.Combine(root, "JPEGImages"), Path.Combine(root, "images", split), Path.Combine(root, split),
            Path.Combine(root, split + "2017"), Path.Combine(root, "images"), root,
        ];
        var samples = new List<DetectionSample>(coco.Images.Count);
        for (int i = 0; i < coco.Images.Count; i++)
        {
            var ann = coco.Images[i];
            string image = dirs.Select(d => ResolveUnder(d, ann.FileName, json)).FirstOrDefault(File.Exists)
                ?? throw new InvalidDataException($"{json}: image {ann.Id} file '{ann.FileName}' is in none of: {string.Join(", ", dirs)}");
            int index = i;
            bool masks = coco.HasSegmentation(i);
            samples.Add(new DetectionSample(image, ann, null, null,
                masks ? () => coco.ClassMask(index) : null,
                masks ? () => coco.InstanceMask(index) : null));
        }
        return new DetectionDataset(root, DatasetFormat.Coco, split, coco.ClassNames, samples);
    }
}
