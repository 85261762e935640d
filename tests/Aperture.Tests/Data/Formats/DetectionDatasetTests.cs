using Aperture.Data.Formats;
using Aperture.Data.Scenes;
using Aperture.Tests.Data.Scenes;
using static TorchSharp.torch;

namespace Aperture.Tests.Data.Formats;

/// <summary>Scenes written by <see cref="ScenesWriter"/> read back through the VOC and COCO readers.</summary>
public class DetectionDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-ds-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const long Seed = 21;
    private const int Count = 20;

    private Scene[] WriteScenes()
    {
        using var items = FashionMnistSample.Load();
        var summary = ScenesWriter.Write(_dir, items, Count, Seed);
        Assert.Equal(16, summary.Splits["train"]);
        Assert.Equal(2, summary.Splits["val"]);
        Assert.Equal(2, summary.Splits["test"]);
        return new SceneGenerator(items, Seed).Generate(0, Count);
    }

    [Theory]
    [InlineData(DatasetFormat.Voc)]
    [InlineData(DatasetFormat.Coco)]
    public void RoundTripGivesIdenticalBoxesLabelsImagesAndMasks(DatasetFormat format)
    {
        var scenes = WriteScenes();
        var offsets = new Dictionary<string, int> { ["train"] = 0, ["val"] = 16, ["test"] = 18 };
        foreach (var (split, start) in offsets)
        {
            var ds = DetectionDataset.Load(_dir, split, format);
            Assert.Equal(format, ds.Format);
            Assert.Equal(FashionMnistSample.ClassNames, ds.ClassNames);
            Assert.Equal(split == "train" ? 16 : 2, ds.Count);
            for (int i = 0; i < ds.Count; i++)
            {
                using var scope = NewDisposeScope();
                var s = ds.Samples[i];
                var scene = scenes[start + i];
                Assert.Equal(scene.Objects.Select(o => (o.ClassId, o.ClassName, o.Box, o.InstanceId)),
                    s.Objects.Select(o => (o.ClassId, o.ClassName, o.Box, o.InstanceId)));
                Assert.True(s.Boxes().equal(scene.BoxesTensor()).all().item<bool>());
                Assert.True(s.Labels().equal(scene.LabelsTensor()).all().item<bool>());
                Assert.Equal(ScalarType.Float32, s.Boxes().dtype);
                Assert.True(s.LoadImage().equal(scene.ImageTensor()).all().item<bool>());
                Assert.True(s.HasMasks);
                Assert.True(s.LoadClassMask()!.equal(scene.ClassMaskTensor()).all().item<bool>());
                Assert.True(s.LoadInstanceMask()!.equal(scene.InstanceMaskTensor()).all().item<bool>());
            }
        }
    }

    [Fact]
    public void AutoDetectsTheLayoutAndListsSplits()
    {
        WriteScenes();
        Assert.Equal(DatasetFormat.Voc, DetectionDataset.Load(_dir, "val").Format);
        Assert.Equal(["test", "train", "val"], DetectionDataset.Splits(_dir));
        Assert.Equal(Count, DetectionDataset.Load(_dir, "all", DatasetFormat.Voc).Count);

        // A COCO-only copy: instances JSON under annotations/ and images under images/val/.
        string coco = Path.Combine(_dir, "coco-only");
        Directory.CreateDirectory(Path.Combine(coco, "annotations"));
        Directory.CreateDirectory(Path.Combine(coco, "images", "val"));
        File.Copy(Path.Combine(_dir, "coco", "instances_val.json"), Path.Combine(coco, "annotations", "instances_val.json"));
        foreach (string id in new[] { "scene_000016", "scene_000017" })
            File.Copy(Path.Combine(_dir, "JPEGImages", id + ".png"), Path.Combine(coco, "images", "val", id + ".png"));
        var ds = DetectionDataset.Load(coco, "val");
        Assert.Equal(DatasetFormat.Coco, ds.Format);
        Assert.Equal(2, ds.Count);

        var e = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(coco, "train"));
        Assert.Contains("val", e.Message);
        var e2 = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(Path.Combine(coco, "images")));
        Assert.Contains("neither", e2.Message);
    }

    [Fact]
    public void WithoutClassesFileClassNamesComeFromTheAnnotations()
    {
        var scenes = WriteScenes();
        File.Delete(Path.Combine(_dir, "classes.txt"));
        var ds = DetectionDataset.Load(_dir, "all");
        var used = scenes.SelectMany(s => s.Objects).Select(o => o.ClassName).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(used, ds.ClassNames);
        foreach (var o in ds.Samples.SelectMany(s => s.Objects)) Assert.Equal(o.ClassName, ds.ClassNames[o.ClassId]);
    }

    [Fact]
    public void BadAnnotationInTheDatasetNamesItsFile()
    {
        WriteScenes();
        string xml = Path.Combine(_dir, "Annotations", "scene_000003.xml");
        File.WriteAllText(xml, File.ReadAllText(xml).Replace("<name>" + DetectionDataset.Load(_dir, "all").Samples[3].Objects[0].ClassName + "</name>", "<name>Hat</name>"));
        var e = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "train"));
        Assert.Contains(xml, e.Message);
        Assert.Contains("'Hat'", e.Message);
        Assert.Contains("Ankle boot", e.Message);

        File.Delete(Path.Combine(_dir, "JPEGImages", "scene_000017.png"));
        var e2 = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "val"));
        Assert.Contains("scene_000017", e2.Message);
    }

    [Theory]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("../classes.txt", "outside")]
    [InlineData("../../../../../../etc/passwd", "outside")]
    public void AVocFileNameThatLeavesTheImageFolderIsRefusedNamingTheAnnotation(string name, string why)
    {
        WriteScenes();
        string xml = Path.Combine(_dir, "Annotations", "scene_000016.xml");
        File.WriteAllText(xml, File.ReadAllText(xml).Replace("<filename>scene_000016.png</filename>", $"<filename>{name}</filename>"));
        var e = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "val", DatasetFormat.Voc));
        Assert.Contains(xml, e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void AMissingVocFileNameOrImageIsAnErrorNamingTheAnnotation()
    {
        WriteScenes();
        string xml = Path.Combine(_dir, "Annotations", "scene_000016.xml");
        string original = File.ReadAllText(xml);
        File.WriteAllText(xml, original.Replace("<filename>scene_000016.png</filename>", ""));
        var e = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "val", DatasetFormat.Voc));
        Assert.Contains(xml, e.Message);
        Assert.Contains("<filename>", e.Message);

        // No silent fall-back to <id>.png: a name that is not there is an error, even when <id>.png exists.
        File.WriteAllText(xml, original.Replace("<filename>scene_000016.png</filename>", "<filename>other.png</filename>"));
        var e2 = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "val", DatasetFormat.Voc));
        Assert.Contains(xml, e2.Message);
        Assert.Contains("other.png", e2.Message);
    }

    [Fact]
    public void ACocoFileNameThatLeavesTheImageFoldersIsRefusedNamingTheJson()
    {
        WriteScenes();
        string json = Path.Combine(_dir, "coco", "instances_val.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"scene_000016.png\"", "\"../../../../etc/passwd\""));
        var e = Assert.Throws<InvalidDataException>(() => DetectionDataset.Load(_dir, "val", DatasetFormat.Coco));
        Assert.Contains(json, e.Message);
        Assert.Contains("outside", e.Message);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("text")]
    [InlineData("size")]
    public void ABadImageIsOneErrorNamingItNotAnAggregateException(string damage)
    {
        WriteScenes();
        string png = Path.Combine(_dir, "JPEGImages", "scene_000017.png");
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(png, File.ReadAllBytes(png)[..200]); break;
            case "text": File.WriteAllText(png, "not an image"); break;
            case "size":
                string xml = Path.Combine(_dir, "Annotations", "scene_000017.xml");
                var doc = System.Xml.Linq.XDocument.Load(xml);
                var width = doc.Root!.Element("size")!.Element("width")!;
                width.Value = (int.Parse(width.Value, System.Globalization.CultureInfo.InvariantCulture) + 50).ToString(System.Globalization.CultureInfo.InvariantCulture);
                doc.Save(xml);
                break;
        }
        var ds = DetectionDataset.Load(_dir, "val", DatasetFormat.Voc);
        var e = Assert.Throws<InvalidDataException>(() => Aperture.Detection.DetectionImage.Load(ds));
        Assert.Contains(png, e.Message);
    }
}
