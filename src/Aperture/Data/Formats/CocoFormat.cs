using System.Runtime.InteropServices;
using System.Text.Json;
using Aperture.Core;
using Aperture.Ops;
using SkiaSharp;

namespace Aperture.Data.Formats;

/// <summary>
/// COCO "instances" JSON: <c>images</c> (id, file_name, width, height), <c>categories</c> (id, name,
/// supercategory) and <c>annotations</c> (id, image_id, category_id, bbox [x, y, w, h], area, iscrowd,
/// segmentation).
/// <para>
/// Boxes: COCO's [x, y, w, h] are continuous pixel coordinates, so x1 = x, x2 = x + w, the Aperture convention.
/// Classes: categories sorted by id become class ids 0..K-1 (COCO ids need not be contiguous); when
/// writing, class id c gets category id c + 1. <c>iscrowd</c> maps to <see cref="ObjectAnnotation.Difficult"/>.
/// </para>
/// <para>
/// Segmentation: written as uncompressed RLE (<c>{"counts": [..], "size": [h, w]}</c>, column-major runs
/// starting with background, as pycocotools reads it) from an instance mask, or as an empty list when there
/// is no mask. Read: polygons (rasterised with Skia), uncompressed RLE and compressed (string) RLE.
/// </para>
/// </summary>
public static class CocoFormat
{
    /// <summary>
    /// Writes a COCO instances file, atomically.
    /// </summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="classNames">Class names by class id; written as categories with id = class id + 1.</param>
    /// <param name="images">The images; image i gets COCO id i + 1.</param>
    /// <param name="instanceMask">Optional: gives image i's row-major instance mask <c>[H, W]</c> (or null); an object's
    /// segmentation is the RLE of the pixels equal to its <see cref="ObjectAnnotation.InstanceId"/>. Without a mask the
    /// segmentation is an empty list.</param>
    public static void Write(string path, IReadOnlyList<string> classNames, IReadOnlyList<ImageAnnotation> images,
        Func<int, byte[]?>? instanceMask = null)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream);
            w.WriteStartObject();
            w.WriteStartObject("info");
            w.WriteString("description", "written by Aperture");
            w.WriteEndObject();
            w.WriteStartArray("images");
            for (int i = 0; i < images.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", i + 1);
                w.WriteString("file_name", images[i].FileName);
                w.WriteNumber("width", images[i].Width);
                w.WriteNumber("height", images[i].Height);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("annotations");
            int annId = 0;
            for (int i = 0; i < images.Count; i++)
            {
                var img = images[i];
                byte[]? mask = instanceMask?.Invoke(i);
                if (mask is not null && mask.Length != img.Width * img.Height)
                    throw new ArgumentException($"{path}: the instance mask of image {img.FileName} has {mask.Length} values, not {img.Width}x{img.Height}");
                foreach (var o in img.Objects)
                {
                    if (o.ClassId < 0 || o.ClassId >= classNames.Count)
                        throw new ArgumentException($"{path}: image {img.FileName} has class id {o.ClassId} outside the {classNames.Count} classes");
                    w.WriteStartObject();
                    w.WriteNumber("id", ++annId);
                    w.WriteNumber("image_id", i + 1);
                    w.WriteNumber("category_id", o.ClassId + 1);
                    w.WriteStartArray("bbox");
                    w.WriteNumberValue(o.Box.X1);
                    w.WriteNumberValue(o.Box.Y1);
                    w.WriteNumberValue(o.Box.Width);
                    w.WriteNumberValue(o.Box.Height);
                    w.WriteEndArray();
                    w.WriteNumber("iscrowd", o.Difficult ? 1 : 0);
                    if (mask is not null && o.InstanceId > 0)
                    {
                        var (counts, area) = EncodeRle(mask, img.Width, img.Height, (byte)o.InstanceId);
                        w.WriteNumber("area", area);
                        w.WriteStartObject("segmentation");
                        w.WriteStartArray("counts");
                        foreach (int c in counts) w.WriteNumberValue(c);
                        w.WriteEndArray();
                        w.WriteStartArray("size");
                        w.WriteNumberValue(img.Height);
                        w.WriteNumberValue(img.Width);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    else
                    {
                        w.WriteNumber("area", o.Box.Area);
                        w.WriteStartArray("segmentation");
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WriteStartArray("categories");
            for (int c = 0; c < classNames.Count; c++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c + 1);
                w.WriteString("name", classNames[c]);
                w.WriteString("supercategory", "object");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Reads a COCO instances file.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a missing field, a non-positive image size, an annotation
    /// pointing to a missing image or category, a bad box or segmentation; the message names the file.</exception>
    public static CocoAnnotations Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such COCO annotation file", path);
        JsonDocument doc;
        try
        {
            using var s = File.OpenRead(path);
            doc = JsonDocument.Parse(s, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            try { return Read(path, doc.RootElement); }
            catch (InvalidOperationException e) // e.g. a string that is not valid UTF-8, met only when it is read
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
    }

    private static CocoAnnotations Read(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: the top level is not a JSON object");

        var cats = new List<(long Id, string Name)>();
        foreach (var c in Array(path, root, "categories", "the file"))
            cats.Add((Long(path, c, "id", "a category"), Str(path, c, "name", "a category")));
        cats.Sort((a, b) => a.Id.CompareTo(b.Id));
        var catIndex = new Dictionary<long, int>();
        for (int i = 0; i < cats.Count; i++)
            if (!catIndex.TryAdd(cats[i].Id, i)) throw new InvalidDataException($"{path}: category id {cats[i].Id} appears twice");
        var classNames = cats.Select(c => c.Name).ToList();

        var imgs = new List<(long Id, string File, int W, int H)>();
        var imgIndex = new Dictionary<long, int>();
        foreach (var im in Array(path, root, "images", "the file"))
        {
            long id = Long(path, im, "id", "an image");
            string what = $"image {id}";
            string file = Str(path, im, "file_name", what);
            long w = Long(path, im, "width", what), h = Long(path, im, "height", what);
            if (w <= 0 || h <= 0 || w > int.MaxValue || h > int.MaxValue)
                throw new InvalidDataException($"{path}: {what} ({file}) has size {w}x{h}; width and height must be positive");
            if (!imgIndex.TryAdd(id, imgs.Count)) throw new InvalidDataException($"{path}: image id {id} appears twice");
            imgs.Add((id, file, (int)w, (int)h));
        }

        var objects = imgs.Select(_ => new List<ObjectAnnotation>()).ToList();
        var segs = imgs.Select(_ => new List<Segmentation?>()).ToList();
        foreach (var a in Array(path, root, "annotations", "the file"))
        {
            if (a.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: an entry of \"annotations\" is a {a.ValueKind}, not an object");
            long annId = a.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.Number && idEl.TryGetInt64(out long v) ? v : -1;
            string what = $"annotation {annId}";
            long imageId = Long(path, a, "image_id", what);
            if (!imgIndex.TryGetValue(imageId, out int ii))
                throw new InvalidDataException($"{path}: {what} points to image {imageId}, which is not in \"images\"");
            long catId = Long(path, a, "category_id", what);
            if (!catIndex.TryGetValue(catId, out int ci))
                throw new InvalidDataException($"{path}: {what} has category_id {catId}, which is not in \"categories\" (ids: {string.Join(", ", cats.Select(c => c.Id))})");
            var (_, file, W, H) = imgs[ii];
            var bb = a.TryGetProperty("bbox", out var bEl) && bEl.ValueKind == JsonValueKind.Array && bEl.GetArrayLength() == 4
                ? bEl.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : double.NaN).ToArray()
                : throw new InvalidDataException($"{path}: {what} has no \"bbox\" of 4 numbers [x, y, width, height]");
            if (bb.Any(x => !double.IsFinite(x)) || bb[2] <= 0 || bb[3] <= 0)
                throw new InvalidDataException($"{path}: {what} has bbox [{string.Join(", ", bb)}]; it needs 4 numbers with positive width and height");
            const double tolerance = 1.0;
            if (bb[0] < -tolerance || bb[1] < -tolerance || bb[0] + bb[2] > W + tolerance || bb[1] + bb[3] > H + tolerance)
                throw new InvalidDataException($"{path}: {what} has bbox [{string.Join(", ", bb)}], outside image {imageId} ({file}, {W}x{H})");
            var box = new Box((float)Math.Max(0, bb[0]), (float)Math.Max(0, bb[1]), (float)Math.Min(W, bb[0] + bb[2]), (float)Math.Min(H, bb[1] + bb[3]));
            bool crowd = false;
            if (a.TryGetProperty("iscrowd", out var cr) && cr.ValueKind != JsonValueKind.Null)
                crowd = cr.ValueKind == JsonValueKind.Number && cr.TryGetInt32(out int crowdFlag) && crowdFlag is 0 or 1
                    ? crowdFlag == 1
                    : throw new InvalidDataException($"{path}: {what} has \"iscrowd\": {cr.GetRawText()}; it must be 0 or 1");
            int instanceId = objects[ii].Count + 1 <= 255 ? objects[ii].Count + 1 : 0;
            objects[ii].Add(new ObjectAnnotation(ci, classNames[ci], box, instanceId, crowd));
            segs[ii].Add(a.TryGetProperty("segmentation", out var sEl) ? ParseSegmentation(path, what, sEl, W, H) : null);
        }

        var images = new List<ImageAnnotation>();
        for (int i = 0; i < imgs.Count; i++)
            images.Add(new ImageAnnotation(imgs[i].Id.ToString(System.Globalization.CultureInfo.InvariantCulture), imgs[i].File, imgs[i].W, imgs[i].H, objects[i]));
        return new CocoAnnotations(path, classNames, cats.Select(c => c.Id).ToList(), images, segs);
    }

    /// <summary>Uncompressed COCO RLE of the pixels equal to <paramref name="value"/>: column-major run lengths, first run background.</summary>
    internal static (List<int> Counts, int Area) EncodeRle(byte[] mask, int width, int height, byte value)
    {
        var counts = new List<int>();
        bool inside = false;
        int run = 0, area = 0;
        for (int x = 0; x < width; x++)
            for (int y = 0; y < height; y++)
            {
                bool on = mask[y * width + x] == value;
                if (on) area++;
                if (on != inside)
                {
                    counts.Add(run);
                    run = 0;
                    inside = on;
                }
                run++;
            }
        counts.Add(run);
        return (counts, area);
    }

    /// <summary>Decodes COCO's compressed RLE string (pycocotools' 6-bit character encoding with deltas) into run lengths.</summary>
    internal static List<long> DecodeRleString(string s)
    {
        var counts = new List<long>();
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length) throw new FormatException("compressed RLE string ends inside a number");
                int c = s[p] - 48;
                if (c < 0 || c > 63) throw new FormatException($"compressed RLE string has an invalid character '{s[p]}'");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[^2];
            counts.Add(x);
        }
        return counts;
    }

    private static Segmentation? ParseSegmentation(string path, string what, JsonElement s, int W, int H)
    {
        try
        {
            if (s.ValueKind == JsonValueKind.Array)
            {
                var polygons = new List<float[]>();
                foreach (var poly in s.EnumerateArray())
                {
                    if (poly.ValueKind != JsonValueKind.Array) throw new FormatException("a polygon is not an array of numbers");
                    var pts = poly.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetSingle() : float.NaN).ToArray();
                    if (pts.Length < 6 || pts.Length % 2 != 0 || pts.Any(v => !float.IsFinite(v)))
                        throw new FormatException($"a polygon has {pts.Length} coordinates; it needs an even number, at least 6, all numbers");
                    polygons.Add(pts);
                }
                return polygons.Count == 0 ? null : new Segmentation(polygons, null);
            }
            if (s.ValueKind == JsonValueKind.Object)
            {
                if (!s.TryGetProperty("size", out var size) || size.GetArrayLength() != 2 || size[0].GetInt32() != H || size[1].GetInt32() != W)
                    throw new FormatException($"RLE \"size\" must be [{H}, {W}] (height, width of the image)");
                if (!s.TryGetProperty("counts", out var countsEl)) throw new FormatException("RLE has no \"counts\"");
                List<long> counts = countsEl.ValueKind == JsonValueKind.String
                    ? DecodeRleString(countsEl.GetString()!)
                    : countsEl.EnumerateArray().Select(c => c.GetInt64()).ToList();
                long total = 0;
                foreach (long c in counts)
                {
                    if (c < 0 || c > (long)W * H)
                        throw new FormatException($"RLE has a run of {c} pixels; runs must be between 0 and {W}x{H} = {(long)W * H}");
                    total += c; // at most counts.Count x W x H: cannot overflow a long for any image that fits in memory
                    if (total > (long)W * H) break;
                }
                if (total != (long)W * H)
                    throw new FormatException($"RLE counts add up to {(total > (long)W * H ? "more than" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))}, not {W}x{H} = {(long)W * H} pixels");
                return new Segmentation(null, counts);
            }
            throw new FormatException($"\"segmentation\" is a {s.ValueKind}; expected polygons or RLE");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{path}: {what} has a bad segmentation: {e.Message}", e);
        }
    }

    private static JsonElement.ArrayEnumerator Array(string path, JsonElement e, string name, string what) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray()
            : throw new InvalidDataException($"{path}: {what} has no \"{name}\" array");

    private static long Long(string path, JsonElement e, string name, string what) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long x)
            ? x
            : throw new InvalidDataException($"{path}: {what} has no integer \"{name}\"");

    private static string Str(string path, JsonElement e, string name, string what) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InvalidDataException($"{path}: {what} has no string \"{name}\"");

    /// <summary>One object's segmentation: polygons or RLE run lengths.</summary>
    internal sealed record Segmentation(List<float[]>? Polygons, List<long>? Counts)
    {
        /// <summary>Sets <paramref name="value"/> in <paramref name="mask"/> (row-major [H, W]) where this object is.</summary>
        public void Paint(byte[] mask, int W, int H, byte value)
        {
            if (Counts is not null)
            {
                long idx = 0;
                for (int r = 0; r < Counts.Count; r++)
                {
                    long end = idx + Counts[r];
                    if (r % 2 == 1)
                        for (long j = idx; j < end; j++) mask[(int)(j % H) * W + (int)(j / H)] = value;
                    idx = end;
                }
                return;
            }
            using var bitmap = new SKBitmap(new SKImageInfo(W, H, SKColorType.Rgba8888, SKAlphaType.Premul));
            bitmap.Erase(SKColors.Transparent);
            using (var canvas = new SKCanvas(bitmap))
            using (var path = new SKPath())
            using (var paint = new SKPaint { Color = SKColors.White, IsAntialias = false, Style = SKPaintStyle.Fill })
            {
                foreach (var poly in Polygons!)
                {
                    path.MoveTo(poly[0], poly[1]);
                    for (int i = 2; i < poly.Length; i += 2) path.LineTo(poly[i], poly[i + 1]);
                    path.Close();
                }
                canvas.DrawPath(path, paint);
            }
            var px = new byte[W * H * 4];
            for (int y = 0; y < H; y++) Marshal.Copy(bitmap.GetPixels() + y * bitmap.RowBytes, px, y * W * 4, W * 4);
            for (int i = 0; i < W * H; i++)
                if (px[4 * i + 3] > 127) mask[i] = value;
        }
    }
}
