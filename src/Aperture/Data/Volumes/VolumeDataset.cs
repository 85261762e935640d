using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;
using static TorchSharp.torch;

namespace Aperture.Data.Volumes;

/// <summary>One image/label pair of a volume dataset.</summary>
/// <param name="Id">The file name without <c>.nii</c>/<c>.nii.gz</c>.</param>
/// <param name="ImagePath">The intensities.</param>
/// <param name="LabelPath">The labels.</param>
public sealed record VolumeItem(string Id, string ImagePath, string LabelPath);

/// <summary>A loaded pair: intensities <c>float32 [D, H, W]</c>, labels <c>uint8 [D, H, W]</c>, and the image's affine.</summary>
/// <param name="Id">The item's id.</param>
/// <param name="Image">Intensities.</param>
/// <param name="Labels">Class ids 0..K.</param>
/// <param name="Affine">The image's voxel-to-world affine (4x4, row-major).</param>
public sealed record LoadedVolume(string Id, Tensor Image, Tensor Labels, double[,] Affine) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Image.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// A folder of NIfTI image/label pairs in the Medical Segmentation Decathlon's layout — what <see cref="VolumesWriter"/>
/// writes and what users of 3-D medical data usually have: <c>dataset.json</c> with <c>"labels"</c> (id → name, 0 the
/// background) and <c>"training"</c> (image/label paths relative to the folder); or, without it, <c>imagesTr/</c> and
/// <c>labelsTr/</c> matched by file name (class names then read from <c>classes.txt</c>, one per line for ids 1..K, or
/// "class 1".."class K" from the largest label). Splits: <c>dataset.json</c>'s <c>"splits"</c> when present, else the
/// pairs sorted by id and cut 80/10/10 into train/val/test.
/// </summary>
public sealed class VolumeDataset
{
    /// <summary>The index file's name.</summary>
    public const string IndexFile = "dataset.json";

    private VolumeDataset(string root, IReadOnlyList<string> classNames, IReadOnlyDictionary<string, IReadOnlyList<VolumeItem>> splits)
    {
        Root = root;
        ClassNames = classNames;
        Splits = splits;
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>Foreground class names, class id − 1 = index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Items per split name (<c>train</c>, <c>val</c>, <c>test</c>; a split may be empty).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<VolumeItem>> Splits { get; }

    /// <summary>The items of a split, or none.</summary>
    public IReadOnlyList<VolumeItem> Split(string name) => Splits.TryGetValue(name, out var items) ? items : [];

    /// <summary>Opens a folder.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">No pairs found, an unreadable <c>dataset.json</c>, a listed file missing, or an
    /// image without its label; the message names the file.</exception>
    public static VolumeDataset Open(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: no such volume dataset folder");
        string index = Path.Combine(root, IndexFile);
        List<VolumeItem> items;
        List<string>? names = null;
        JsonObject? splitsNode = null;
        if (File.Exists(index))
        {
            JsonObject json;
            try
            {
                json = JsonNode.Parse(File.ReadAllText(index)) as JsonObject ?? throw new InvalidDataException($"{index}: not a JSON object");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{index}: malformed JSON ({e.Message})", e);
            }
            if (json["labels"] is JsonObject labels)
            {
                var ids = labels.Select(kv => (Id: int.TryParse(kv.Key, out int k) ? k : -1, Name: kv.Value?.ToString() ?? "")).Where(p => p.Id > 0).OrderBy(p => p.Id).ToList();
                for (int i = 0; i < ids.Count; i++)
                    if (ids[i].Id != i + 1) throw new InvalidDataException($"{index}: \"labels\" must number the classes 1..K without gaps (missing {i + 1})");
                names = ids.Select(p => p.Name).ToList();
            }
            if (json["training"] is not JsonArray training)
                throw new InvalidDataException($"{index}: no \"training\" list of image/label pairs");
            items = training.Select(e => Item(root, index, e)).ToList();
            splitsNode = json["splits"] as JsonObject;
        }
        else items = Scan(root);
        if (items.Count == 0) throw new InvalidDataException($"{root}: no image/label pairs (expected {IndexFile}, or imagesTr/ and labelsTr/ with matching .nii/.nii.gz files)");
        foreach (var item in items)
        {
            if (!File.Exists(item.ImagePath)) throw new InvalidDataException($"{item.ImagePath}: listed image is missing");
            if (!File.Exists(item.LabelPath)) throw new InvalidDataException($"{item.LabelPath}: the label volume of '{item.Id}' is missing");
        }
        names ??= ClassesFile(root) ?? FromLabels(items);
        var byId = items.ToDictionary(i => i.Id);
        var splits = new Dictionary<string, IReadOnlyList<VolumeItem>>();
        if (splitsNode is not null)
        {
            foreach (var (name, ids) in splitsNode)
                splits[name] = (ids as JsonArray ?? []).Select(id => byId.TryGetValue(id?.ToString() ?? "", out var it) ? it
                    : throw new InvalidDataException($"{index}: split '{name}' names '{id}', which is not in \"training\"")).ToList();
        }
        else
        {
            var sorted = items.OrderBy(i => i.Id, StringComparer.Ordinal).ToList();
            foreach (var (name, start, n) in new SceneSplits().Assign(sorted.Count)) splits[name] = sorted.GetRange(start, n);
        }
        return new VolumeDataset(Path.GetFullPath(root), names, splits);
    }

    private static VolumeItem Item(string root, string index, JsonNode? e)
    {
        string? image = e?["image"]?.ToString(), label = e?["label"]?.ToString();
        if (image is null || label is null) throw new InvalidDataException($"{index}: a \"training\" entry lacks \"image\" or \"label\"");
        return new VolumeItem(IdOf(image), Path.GetFullPath(Path.Combine(root, image)), Path.GetFullPath(Path.Combine(root, label)));
    }

    private static List<VolumeItem> Scan(string root)
    {
        string images = Path.Combine(root, "imagesTr"), labels = Path.Combine(root, "labelsTr");
        if (!Directory.Exists(images) || !Directory.Exists(labels)) return [];
        return Directory.EnumerateFiles(images).Where(IsNifti).Where(p => !Path.GetFileName(p).StartsWith("._", StringComparison.Ordinal))
            .Select(p => new VolumeItem(IdOf(p), p, Path.Combine(labels, Path.GetFileName(p)))).OrderBy(i => i.Id, StringComparer.Ordinal).ToList();
    }

    private static bool IsNifti(string p) => p.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    private static string IdOf(string path)
    {
        string name = Path.GetFileName(path);
        foreach (string ext in new[] { ".nii.gz", ".nii" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return name;
    }

    private static List<string>? ClassesFile(string root)
    {
        string path = Path.Combine(root, "classes.txt");
        return File.Exists(path) ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList() : null;
    }

    private static List<string> FromLabels(IReadOnlyList<VolumeItem> items)
    {
        int max = 0;
        foreach (var item in items)
        {
            using var v = NiftiFile.Read(item.LabelPath);
            using var m = v.Data.max();
            max = Math.Max(max, (int)m.to_type(ScalarType.Float64).item<double>());
        }
        return Enumerable.Range(1, Math.Max(max, 1)).Select(k => $"class {k}").ToList();
    }

    /// <summary>Loads a pair, checked: same grid, labels whole numbers in 0..K.</summary>
    /// <exception cref="InvalidDataException">A malformed file, sizes that differ, or a label outside 0..K; the message names the file.</exception>
    public LoadedVolume Load(VolumeItem item)
    {
        using var scope = NewDisposeScope();
        using var image = NiftiFile.Read(item.ImagePath);
        using var labels = NiftiFile.Read(item.LabelPath);
        if (!image.Data.shape.SequenceEqual(labels.Data.shape))
            throw new InvalidDataException($"{item.LabelPath}: labels [{string.Join(", ", labels.Data.shape)}] do not match the image's grid [{string.Join(", ", image.Data.shape)}] ({item.ImagePath})");
        var l = labels.Data.to_type(ScalarType.Float64);
        if (l.numel() > 0)
        {
            double min = l.min().item<double>(), max = l.max().item<double>();
            if (min < 0 || max > ClassNames.Count)
                throw new InvalidDataException($"{item.LabelPath}: labels span {min}..{max}, but the dataset has classes 0..{ClassNames.Count} ({string.Join(", ", ClassNames)})");
            if (!l.eq(l.round()).all().item<bool>())
                throw new InvalidDataException($"{item.LabelPath}: labels must be whole numbers (class ids)");
        }
        var img = image.Data.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
        var lab = l.to_type(ScalarType.Byte).MoveToOuterDisposeScope();
        return new LoadedVolume(item.Id, img, lab, image.Affine);
    }
}
