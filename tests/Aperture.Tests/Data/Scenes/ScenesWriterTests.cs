using Aperture.Data;
using Aperture.Data.Scenes;
using TorchSharp;

namespace Aperture.Tests.Data.Scenes;

public class ScenesWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-sw-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, byte[]> Files(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes);

    [Fact]
    public void SameArgumentsWriteIdenticalFilesInTheDocumentedLayout()
    {
        using var items = FashionMnistSample.Load();
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b"), c = Path.Combine(_dir, "c");
        var options = new SceneOptions { MaxItems = 3 };
        var summary = ScenesWriter.Write(a, items, 10, 4, options, new SceneSplits(0.5, 0.5, 0));
        ScenesWriter.Write(b, items, 10, 4, options, new SceneSplits(0.5, 0.5, 0));
        ScenesWriter.Write(c, items, 10, 5, options, new SceneSplits(0.5, 0.5, 0));
        var fa = Files(a);
        var fb = Files(b);
        Assert.Equal(fa.Keys.Order(), fb.Keys.Order());
        foreach (var (name, bytes) in fa) Assert.True(bytes.SequenceEqual(fb[name]), $"{name} differs between two writes with the same seed");
        Assert.False(fa["JPEGImages/scene_000000.png"].SequenceEqual(Files(c)["JPEGImages/scene_000000.png"]));

        Assert.Equal(5, summary.Splits["train"]);
        Assert.Equal(5, summary.Splits["val"]);
        Assert.False(summary.Splits.ContainsKey("test"));
        foreach (string f in new[]
        {
            "JPEGImages/scene_000009.png", "Annotations/scene_000009.xml", "SegmentationClass/scene_000009.png",
            "SegmentationObject/scene_000009.png", "ImageSets/Main/train.txt", "ImageSets/Segmentation/val.txt",
            "coco/instances_train.json", "coco/instances_val.json", "classes.txt", "scenes.json", "README.md",
        })
            Assert.True(fa.ContainsKey(f), $"missing {f}");
        Assert.DoesNotContain(fa.Keys, k => k.EndsWith(".tmp", StringComparison.Ordinal));
        string json = System.Text.Encoding.UTF8.GetString(fa["scenes.json"]);
        Assert.Contains("\"seed\": 4", json);
        Assert.Contains("\"MaxItems\": 3", json);
        Assert.Equal("scene_000005\nscene_000006\nscene_000007\nscene_000008\nscene_000009\n", System.Text.Encoding.UTF8.GetString(fa["ImageSets/Main/val.txt"]));
    }

    [Fact]
    public void WithTestItemsValidationScenesHoldOnlyHeldOutItemsAndTrainingScenesOnlyTheOthers()
    {
        // Label every item by the pool it must go to: held-out items class 1, the rest class 2, test items class 3.
        using var sample = FashionMnistSample.Load();
        var (_, probe) = sample.Split(sample.Count / 10, ScenesWriter.HeldOutSeed);
        using var heldOut = probe;
        using var labels = torch.full(sample.Count, 2L, torch.int64);
        using (var where = IndicesOf(sample, heldOut)) labels.index_fill_(0, where, 1L);
        using var testLabels = torch.full(sample.Count, 3L, torch.int64);
        var items = sample with { Labels = labels };   // share the sample's pixels: not disposed twice
        var testItems = sample with { Labels = testLabels };

        var summary = ScenesWriter.Write(_dir, items, 30, 7, new SceneOptions { MaxItems = 3 }, new SceneSplits(1, 1, 1), testItems: testItems);

        foreach (var (split, label) in new[] { ("train", 2), ("val", 1), ("test", 3) })
        {
            var classes = Aperture.Data.Formats.DetectionDataset.Load(_dir, split).Samples
                .SelectMany(s => s.Annotation.Objects).Select(o => o.ClassId).Distinct().ToList();
            Assert.Equal([label], classes);
        }
        Assert.Equal(30, summary.Splits.Values.Sum());
        Assert.Contains("\"held_out\": 50", File.ReadAllText(Path.Combine(_dir, "scenes.json")));
    }

    /// <summary>Where each of <paramref name="subset"/>'s images sits in <paramref name="all"/> (images are distinct).</summary>
    private static torch.Tensor IndicesOf(LabeledImages all, LabeledImages subset)
    {
        using var scope = torch.NewDisposeScope();
        var distance = torch.cdist(subset.Images.flatten(1).to_type(torch.float32), all.Images.flatten(1).to_type(torch.float32));
        return distance.argmin(1).MoveToOuterDisposeScope();
    }

    [Fact]
    public void SplitsAreAssignedByFractions()
    {
        Assert.Equal([("train", 0, 80), ("val", 80, 10), ("test", 90, 10)], new SceneSplits().Assign(100));
        Assert.Equal([("train", 0, 7), ("val", 7, 3)], new SceneSplits(2, 1, 0).Assign(10));
        Assert.Throws<ArgumentException>(() => new SceneSplits(0, 0, 0).Assign(10));
    }
}
