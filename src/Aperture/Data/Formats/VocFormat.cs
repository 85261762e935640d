using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Aperture.Core;
using Aperture.Ops;

namespace Aperture.Data.Formats;

/// <summary>
/// Pascal VOC annotations: one XML file per image (<c>Annotations/&lt;id&gt;.xml</c> with
/// <c>annotation/filename</c>, <c>size/width,height,depth</c> and <c>object/name, difficult, bndbox/xmin,ymin,xmax,ymax</c>)
/// and image-set lists (<c>ImageSets/Main/&lt;split&gt;.txt</c>, one id per line).
/// <para>
/// Coordinates: VOC boxes are 1-based, inclusive pixel indices (a box over the first 5 pixel columns has
/// xmin = 1, xmax = 5). Aperture boxes are 0-based with exclusive right/bottom edges (x1 = 0, x2 = 5).
/// So x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax; widths agree: x2 - x1 = xmax - xmin + 1.
/// A VOC box with xmin = xmax is one pixel wide and valid; xmax &lt; xmin is an empty box and an error.
/// </para>
/// <para>XML is read with DTD processing prohibited and no resolver: a file with a DOCTYPE or entity is rejected.</para>
/// </summary>
public static class VocFormat
{
    /// <summary>The 20 Pascal VOC object classes in their standard order (class id = index).</summary>
    public static readonly IReadOnlyList<string> Voc20Classes =
    [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ];

    /// <summary>Converts an Aperture box (0-based, exclusive x2/y2) to VOC's 1-based inclusive (xmin, ymin, xmax, ymax).</summary>
    public static (double XMin, double YMin, double XMax, double YMax) ToVoc(Box box) =>
        ((double)box.X1 + 1, (double)box.Y1 + 1, box.X2, box.Y2);

    /// <summary>Converts VOC's 1-based inclusive (xmin, ymin, xmax, ymax) to an Aperture box (0-based, exclusive x2/y2).</summary>
    public static Box FromVoc(double xMin, double yMin, double xMax, double yMax) =>
        new((float)(xMin - 1), (float)(yMin - 1), (float)xMax, (float)yMax);

    /// <summary>Writes one annotation as a VOC XML file, atomically. Integral coordinates are written as integers.</summary>
    /// <param name="path">The XML file to write.</param>
    /// <param name="annotation">The image and its objects; boxes in Aperture coordinates.</param>
    /// <param name="depth">Number of image channels written in <c>size/depth</c>.</param>
    /// <param name="segmented">Value of the <c>segmented</c> element (1 when segmentation masks exist).</param>
    public static void WriteAnnotation(string path, ImageAnnotation annotation, int depth = 3, bool segmented = false)
    {
        var root = new XElement("annotation",
            new XElement("folder", "JPEGImages"),
            new XElement("filename", annotation.FileName),
            new XElement("size",
                new XElement("width", annotation.Width),
                new XElement("height", annotation.Height),
                new XElement("depth", depth)),
            new XElement("segmented", segmented ? 1 : 0));
        foreach (var o in annotation.Objects)
        {
            var (xmin, ymin, xmax, ymax) = ToVoc(o.Box);
            root.Add(new XElement("object",
                new XElement("name", o.ClassName),
                new XElement("pose", "Unspecified"),
                new XElement("truncated", 0),
                new XElement("difficult", o.Difficult ? 1 : 0),
                new XElement("bndbox",
                    new XElement("xmin", Number(xmin)),
                    new XElement("ymin", Number(ymin)),
                    new XElement("xmax", Number(xmax)),
                    new XElement("ymax", Number(ymax)))));
        }
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, Encoding = new System.Text.UTF8Encoding(false) };
        AtomicFile.Write(path, s =>
        {
            using var w = XmlWriter.Create(s, settings);
            new XDocument(root).Save(w);
        });
    }

    /// <summary>
    /// Reads one VOC XML annotation. Object ids follow <paramref name="classNames"/>; instance ids are the
    /// objects' order in the file, 1..K (as VOC's SegmentationObject masks number them).
    /// </summary>
    /// <param name="path">The XML file.</param>
    /// <param name="classNames">The known classes; an object with another name is an error listing them.</param>
    /// <exception cref="InvalidDataException">A DTD/entity, missing size, non-numeric or out-of-image coordinates, an unknown class; the message names the file.</exception>
    public static ImageAnnotation ReadAnnotation(string path, IReadOnlyList<string> classNames)
    {
        var raw = Parse(path);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classNames.Count; i++) index.TryAdd(classNames[i], i);
        var objects = new List<ObjectAnnotation>();
        for (int i = 0; i < raw.Objects.Count; i++)
        {
            var (name, box, difficult) = raw.Objects[i];
            if (!index.TryGetValue(name, out int id))
                throw new InvalidDataException($"{path}: object {i + 1} has unknown class '{name}'; known classes: {string.Join(", ", classNames)}");
            objects.Add(new ObjectAnnotation(id, name, box, i + 1 <= 255 ? i + 1 : 0, difficult));
        }
        return new ImageAnnotation(Path.GetFileNameWithoutExtension(path), raw.FileName, raw.Width, raw.Height, objects);
    }

    /// <summary>The class names used in a VOC XML file, in file order (for collecting a dataset's classes).</summary>
    public static IReadOnlyList<string> ReadClassNamesUsed(string path) => Parse(path).Objects.Select(o => o.Name).ToList();

    /// <summary>Writes an image-set list <c>ImageSets/&lt;task&gt;/&lt;split&gt;.txt</c> under <paramref name="root"/>, one id per line.</summary>
    public static void WriteImageSet(string root, string split, IEnumerable<string> ids, string task = "Main") =>
        AtomicFile.WriteAllText(Path.Combine(root, "ImageSets", task, split + ".txt"), string.Concat(ids.Select(id => id + "\n")));

    /// <summary>Reads the ids of <c>ImageSets/&lt;task&gt;/&lt;split&gt;.txt</c> (first token of each non-empty line).</summary>
    /// <exception cref="FileNotFoundException">No such split; the message lists the splits present.</exception>
    public static IReadOnlyList<string> ReadImageSet(string root, string split, string task = "Main")
    {
        string path = Path.Combine(root, "ImageSets", task, split + ".txt");
        if (!File.Exists(path))
        {
            string dir = Path.Combine(root, "ImageSets", task);
            string present = Directory.Exists(dir) ? string.Join(", ", Directory.GetFiles(dir, "*.txt").Select(Path.GetFileNameWithoutExtension).Order()) : "none";
            throw new FileNotFoundException($"{path}: no image set '{split}'; splits present: {present}", path);
        }
        return File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0])
            .ToList();
    }

    private static string Number(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);

    private sealed record RawAnnotation(string FileName, int Width, int Height, List<(string Name, Box Box, bool Difficult)> Objects);

    private static RawAnnotation Parse(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such annotation file", path);
        XDocument doc;
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = XmlReader.Create(stream, settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: contains a DTD (DOCTYPE or entity declaration), which is not allowed in annotation files", e);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{path}: not well-formed XML: {e.Message}", e);
        }
        var ann = doc.Root;
        if (ann is null || ann.Name.LocalName != "annotation")
            throw new InvalidDataException($"{path}: the root element is <{ann?.Name.LocalName}>, expected <annotation>");
        string fileName = ann.Element("filename")?.Value.Trim() is { Length: > 0 } f
            ? f
            : throw new InvalidDataException($"{path}: missing <filename> (the image's file name in JPEGImages/)");
        var size = ann.Element("size") ?? throw new InvalidDataException($"{path}: missing <size> (image width and height)");
        int width = (int)Required(path, size, "width", "size");
        int height = (int)Required(path, size, "height", "size");
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{path}: <size> gives {width}x{height}; width and height must be positive");

        var objects = new List<(string, Box, bool)>();
        int n = 0;
        foreach (var o in ann.Elements("object"))
        {
            n++;
            string name = o.Element("name")?.Value.Trim() ?? "";
            if (name.Length == 0) throw new InvalidDataException($"{path}: object {n} has no <name>");
            var bb = o.Element("bndbox") ?? throw new InvalidDataException($"{path}: object {n} ('{name}') has no <bndbox>");
            string where = $"object {n} ('{name}') bndbox";
            double xmin = Required(path, bb, "xmin", where), ymin = Required(path, bb, "ymin", where);
            double xmax = Required(path, bb, "xmax", where), ymax = Required(path, bb, "ymax", where);
            if (xmax < xmin || ymax < ymin)
                throw new InvalidDataException($"{path}: {where} is empty: xmin {xmin}, xmax {xmax}, ymin {ymin}, ymax {ymax} (VOC needs xmin <= xmax and ymin <= ymax)");
            if (xmin < 1 || ymin < 1 || xmax > width || ymax > height)
                throw new InvalidDataException($"{path}: {where} ({xmin}, {ymin}, {xmax}, {ymax}) lies outside the {width}x{height} image (VOC coordinates are 1-based: 1 <= xmin, xmax <= width)");
            bool difficult = o.Element("difficult")?.Value.Trim() is "1" or "true";
            objects.Add((name, FromVoc(xmin, ymin, xmax, ymax), difficult));
        }
        return new RawAnnotation(fileName, width, height, objects);
    }

    private static double Required(string path, XElement parent, string name, string where)
    {
        var e = parent.Element(name) ?? throw new InvalidDataException($"{path}: {where} has no <{name}>");
        string text = e.Value.Trim();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new InvalidDataException($"{path}: {where} <{name}> is '{text}', not a number");
        return v;
    }
}
