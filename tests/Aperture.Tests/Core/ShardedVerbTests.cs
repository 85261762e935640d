using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Detection;
using Aperture.Imaging;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

/// <summary>
/// Issue 11's claim for <c>--shard i/N</c>: a verb run as 4 shards (each a fresh manifest, as separate processes build
/// it, in any order) and merged writes the same results file, byte for byte, as one process. The per-image work is
/// what the CLI verbs call (<see cref="ImageProposals.Run"/> for <c>propose</c>, <see cref="ClassifierEvaluation.TopK"/>
/// for <c>predict</c>, <see cref="ImageDetection.Run(IObjectDetector, IProposalSource?, string, double, string?, int)"/> for <c>detect</c>); <see cref="BatchResults"/> and <see cref="ShardMerge"/> are the verbs' own writer and merge.
/// </summary>
public sealed class ShardedVerbTests
{
    /// <summary>Runs one process's part of a batch over the images in <paramref name="inputs"/>, as a verb does.</summary>
    private static void Run(string inputs, string outDir, Shard shard, string verb, string name, Func<string, object> each, params string[] timingFields)
    {
        var options = new Dictionary<string, string?> { ["--out"] = $"\"{outDir}\"", ["--seed"] = "3" };
        var batch = new BatchResults(verb, name, ImageManifest.Build([inputs], null, skipFolder: outDir), shard, options, timingFields);
        foreach (string image in batch.Images) batch.Add(each(image));
        batch.Write(outDir);
    }

    /// <summary>The whole run's results file, then the merge of 4 shards run in a scrambled order into the same folder.</summary>
    private static (byte[] Whole, byte[] Merged) WholeAndMerged(string inputs, string outDir, string verb, string name, Func<Shard, Func<string, object>> each, params string[] timingFields)
    {
        string results = Path.Combine(outDir, name + ".json");
        Run(inputs, outDir, Shard.Whole, verb, name, each(Shard.Whole), timingFields);
        byte[] whole = File.ReadAllBytes(results);
        File.Delete(results);
        foreach (int i in new[] { 2, 0, 3, 1 }) Run(inputs, outDir, new Shard(i, 4), verb, name, each(new Shard(i, 4)), timingFields);
        Assert.False(File.Exists(results));
        var merged = Assert.Single(ShardMerge.Merge([outDir], outDir));
        Assert.Equal((4, verb), (merged.Shards, merged.Verb));
        return (whole, File.ReadAllBytes(results));
    }

    [Fact]
    public void ProposeAsFourShardsMergedIsByteForByteOneProcess()
    {
        using var dir = new TempDir();
        string images = dir.File("images");
        Directory.CreateDirectory(Path.Combine(images, "more"));
        using (var _ = NewDisposeScope())
        {
            var g = new Generator().manual_seed(11);
            // Seven blocky 48x48 colour images (shards of 2, 2, 2 and 1), named out of creation order.
            foreach (var (name, k) in new[] { "g.png", "a.png", "more/c.png", "B.png", "e.png", "more/d.png", "f.png" }.Select((n, k) => (n, k)))
            {
                var blocks = randint(0, 256, [3, 6, 6], generator: g).to_type(ScalarType.Byte);
                ImageTensor.Write(Path.Combine(images, name), blocks.repeat_interleave(8, 1).repeat_interleave(8, 2));
            }
        }
        string outDir = dir.File("out");
        // Each shard uses another worker-thread count: the boxes must not depend on it.
        var (whole, merged) = WholeAndMerged(images, outDir, "propose", "proposals",
            shard => image => ImageProposals.Run(image, SelectiveSearchMode.Single, 40, 3, shard.IsWhole ? 2 : 1 + shard.Index % 2, 5, outDir), "milliseconds");
        Assert.Equal(whole, merged);
        string json = System.Text.Encoding.UTF8.GetString(merged);
        Assert.Contains("\"boxes\"", json);
        Assert.DoesNotContain("milliseconds", json);
        Assert.Equal(7, File.ReadAllText(Path.Combine(outDir, "proposals.timings.json")).Split("\"milliseconds\"").Length - 1);
        Assert.True(json.IndexOf("B.png", StringComparison.Ordinal) < json.IndexOf("a.png", StringComparison.Ordinal), "ordinal order: upper case first");
    }

    [Fact]
    public void PredictWithATrainedClassifierAsFourShardsMergedIsByteForByteOneProcess()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var train = FashionMnist.Load(DatasetSplit.Train);
        using var test = TestData.FashionMnistTestItems(120);
        var settings = new ClassificationSettings
        {
            Model = "lenet5", OutputDirectory = dir.File("run"), Seed = 1, Epochs = 1, Limit = 400, Validation = 100, Optimizer = OptimizerKind.Adam,
            LearningRate = 2e-3, Progress = ProgressMode.Quiet, TensorBoard = false,
        };
        ClassificationRun.Execute(settings, train, test, CPU);
        var (net, spec) = ClassifierSpec.Load(dir.File("run"));
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        for (int i = 0; i < 9; i++) ImageTensor.Write(Path.Combine(images, $"item{i}.png"), test.Images[i]);

        var (whole, merged) = WholeAndMerged(images, dir.File("out"), "predict", "predictions",
            _ => image => new ImagePrediction(image, ClassifierEvaluation.TopK(net, spec, image, 3)));
        Assert.Equal(whole, merged);
        Assert.Contains("\"probability\"", System.Text.Encoding.UTF8.GetString(merged));
        Assert.False(File.Exists(Path.Combine(dir.File("out"), "predictions.timings.json")), "predict records no timings");
    }

    [Fact]
    public void DetectWithATrainedFastRcnnAsFourShardsMergedIsByteForByteOneProcess()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string scenes = Aperture.Tests.Detection.DetectionRunTests.SmallScenes(dir);
        using var data = DetectionData.Load(scenes, limitValidation: 6);
        var proposals = new SelectiveSearchProposals(SelectiveSearchMode.Single, 100, 1);
        data.AttachProposals(proposals, dir.File("proposals"), null);
        var outcome = DetectionRun.Execute(new DetectionSettings
        {
            Method = "fast-rcnn", OutputDirectory = dir.File("run"), Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = ["hidden_size=32"],
            Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
        }, data, CPU);
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        foreach (string f in Directory.GetFiles(Path.Combine(scenes, "JPEGImages")).Order(StringComparer.Ordinal).Take(6))
            File.Copy(f, Path.Combine(images, Path.GetFileName(f)));

        string outDir = dir.File("out");
        var (whole, merged) = WholeAndMerged(images, outDir, "detect", "detections",
            _ => image => ImageDetection.Run(outcome.Detector, proposals, image, 0.0, Path.Combine(outDir, Path.GetFileNameWithoutExtension(image) + "-detections.png")),
            "proposal_ms", "detect_ms");
        Assert.Equal(whole, merged);
        Assert.Contains("\"score\"", System.Text.Encoding.UTF8.GetString(merged));
        Assert.DoesNotContain("detect_ms", System.Text.Encoding.UTF8.GetString(merged));
    }
}
