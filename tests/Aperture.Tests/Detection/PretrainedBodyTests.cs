using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Detection.FastRcnn;
using Aperture.Detection.Rcnn;
using Aperture.Nn;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>
/// Supervised pre-training of the detectors' conv body: a <c>backbone-fc</c> classifier trained on items drawn as in the
/// scenes, whose body a detector starts from (<c>train detect --init RUN</c>), with the origin in the model card.
/// </summary>
public class PretrainedBodyTests
{
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>A backbone-fc classifier trained one short epoch through the registry (<c>train classify --model backbone-fc</c>).</summary>
    private static string TrainClassifier(TempDir dir, string name = "pretrain")
    {
        using var items = FashionMnist.Load(DatasetSplit.Test);
        using var train = items.RandomSubset(600, 1);
        using var test = items.RandomSubset(200, 2);
        string run = dir.File(name);
        var (model, results) = ClassificationRun.Execute(new ClassificationSettings
        {
            Model = BackboneFc.Id, OutputDirectory = run, Seed = 1, Epochs = 1, Validation = 60, Progress = ProgressMode.Quiet, TensorBoard = false,
        }, train, test, CPU);
        model.Model.Dispose();
        Assert.Equal(600 - 60, results.TrainImages);
        return run;
    }

    [Fact]
    public void ItemPatchesDrawEachItemOnClutterDeterministically()
    {
        using var items = FashionMnist.Load(DatasetSplit.Test);
        using var few = items.RandomSubset(20, 3);
        using var a = ItemPatches.Create(few, 32, seed: 5);
        using var b = ItemPatches.Create(few, 32, seed: 5);
        using var c = ItemPatches.Create(few, 32, seed: 6);
        Assert.Equal(new long[] { 20, 3, 32, 32 }, a.Images.shape);
        Assert.Equal(few.Labels.data<long>().ToArray(), a.Labels.data<long>().ToArray());
        Assert.True(Same(a.Images, b.Images));
        Assert.False(Same(a.Images, c.Images));
        // Colour: the three channels differ (tinted items, coloured clutter), unlike the grey items.
        Assert.False(Same(a.Images[.., 0], a.Images[.., 1]));
    }

    [Fact]
    public void TheDetectorsBodyIsExactlyTheClassifiersBody()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string run = TrainClassifier(dir);
        var (classifier, spec) = ClassifierSpec.Load(run);
        Assert.Equal((3, 32, Backbone.PixelMean, Backbone.PixelStd), (spec.InChannels, spec.InputSize, spec.Mean, spec.Std));
        var source = ((BackboneFc)classifier).Body.state_dict();

        using var weights = BackboneWeights.FromClassifier(run);
        Assert.Equal(new[] { 32, 64, 128 }, weights.Widths);
        foreach (var body in new Backbone[] { new FastRcnnNetwork(10).Backbone, new RcnnNetwork(10).Backbone })
        {
            var before = body.state_dict();
            Assert.Contains(before, kv => kv.Value.is_floating_point() && !Same(kv.Value, source[kv.Key]));
            weights.CopyTo(body);
            var after = body.state_dict();
            Assert.Equal(source.Keys.Order(), after.Keys.Order());
            foreach (var (name, t) in after) Assert.True(Same(t, source[name]), $"{name} differs from the classifier's");
            // Batch-norm running statistics travel too (they are what makes the body's output the classifier's).
            Assert.Contains(after.Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal));
        }
        // The same normalised input gives the same feature maps in the classifier and in a detector's body.
        var detector = new FastRcnnNetwork(10);
        weights.CopyTo(detector.Backbone);
        detector.eval();
        classifier.eval();
        using var x = randn(2, 3, 32, 32);
        using (no_grad())
            Assert.True(detector.Backbone.forward(x).allclose(((BackboneFc)classifier).Body.forward(x)));
    }

    [Fact]
    public void DetectorsOfTheClassifiersShapeTakeFc6AndFc7Too()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string run = TrainClassifier(dir);
        var (classifier, _) = ClassifierSpec.Load(run);
        var fc = (BackboneFc)classifier;
        var source = fc.Head.state_dict();
        using var weights = BackboneWeights.FromClassifier(run);
        string checkpoint = Path.GetFullPath(RunFolder.Checkpoint(run));

        var fast = new FastRcnnNetwork(10);
        var rcnn = new RcnnNetwork(10);
        foreach (var (body, head) in new[] { (fast.Backbone, fast.Head), (rcnn.Backbone, rcnn.Head) })
        {
            Assert.Contains(head.state_dict(), kv => !Same(kv.Value, source[kv.Key]));
            Assert.Equal($"{BackboneFc.Id} classifier {checkpoint}: body, fc6 and fc7", weights.CopyTo(body, head));
            foreach (var (name, t) in head.state_dict()) Assert.True(Same(t, source[name]), $"head {name} differs from the classifier's");
        }
        // R-CNN's region features of a 32x32 crop are the classifier's fc7 on that patch.
        rcnn.eval();
        classifier.eval();
        using var x = randn(3, 3, 32, 32);
        using (no_grad())
        {
            var expected = fc.Head.forward(nn.functional.adaptive_max_pool2d(fc.Body.forward(x), new long[] { BackboneFc.PoolSize, BackboneFc.PoolSize }));
            Assert.True(rcnn.Features(x).allclose(expected));
        }
        // A head of another shape keeps its own initialisation, and the card says only the body came.
        var narrow = new FastRcnnNetwork(10, hiddenSize: 32);
        var fresh = narrow.Head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Assert.Equal($"{BackboneFc.Id} classifier {checkpoint}: body", weights.CopyTo(narrow.Backbone, narrow.Head));
        foreach (var (name, t) in narrow.Head.state_dict()) Assert.True(Same(t, fresh[name]));
    }

    [Fact]
    public void ADetectorTrainedFromThePretrainedBodyRecordsItInItsCardAndResults()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string pretrained = TrainClassifier(dir);
        string scenes = DetectionRunTests.SmallScenes(dir);
        using var data = DetectionData.Load(scenes, limitValidation: 6);
        data.AttachProposals(new SelectiveSearchProposals(SelectiveSearchMode.Single, 100, 1), dir.File("proposals"), null);
        string run = dir.File("run");
        var outcome = DetectionRun.Execute(new DetectionSettings
        {
            Method = FastRcnnMethod.Id, OutputDirectory = run, Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = ["hidden_size=32"],
            Init = pretrained, Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
        }, data, CPU);
        outcome.Score.DisposeDetections();
        var card = ModelCard.Read(outcome.Results.Checkpoint);
        string classifierCheckpoint = Path.GetFullPath(RunFolder.Checkpoint(pretrained));
        Assert.Equal($"{BackboneFc.Id} classifier {classifierCheckpoint}: body", card.BackboneWeights); // hidden size 32: fc6 and fc7 do not fit
        var p = outcome.Results.Pretraining;
        Assert.NotNull(p);
        Assert.Equal((BackboneFc.Id, classifierCheckpoint, true, 1), (p!.Classifier, p.Checkpoint, p.Reused, p.Epochs));
        Assert.InRange(p.TestAccuracy!.Value, 0, 1);
        // Fast R-CNN picks its best epoch by validation mAP.
        Assert.Equal(1, outcome.Results.BestEpoch);

        // From scratch: no origin in the card.
        var scratch = DetectionRun.Execute(new DetectionSettings
        {
            Method = FastRcnnMethod.Id, OutputDirectory = dir.File("scratch"), Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = ["hidden_size=32"],
            Init = DetectionSettings.Scratch, Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
        }, data, CPU);
        scratch.Score.DisposeDetections();
        Assert.Null(ModelCard.Read(scratch.Results.Checkpoint).BackboneWeights);
        Assert.Null(scratch.Results.Pretraining);
    }

    [Fact]
    public void ABadInitIsOneClearLineBeforeAnyDataIsRead()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        DetectionSettings With(string init) => new() { Method = FastRcnnMethod.Id, OutputDirectory = dir.File("run"), Init = init, Progress = ProgressMode.Quiet };

        // Missing.
        var missing = Assert.Throws<FileNotFoundException>(() => DetectionRun.Plan(With(dir.File("nothing-here"))));
        Assert.Contains("--init", missing.Message);
        Assert.Contains("nothing-here", missing.Message);

        // Another classifier: a LeNet-5 has no detector body.
        string lenet = dir.File("lenet");
        Checkpoint.Save(Path.Combine(lenet, "checkpoints", "last.ckpt"), 1,
            new Dictionary<string, TorchSharp.torch.nn.Module> { [Checkpoint.DefaultModuleName] = new LeNet5(10, 1) }, null,
            new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = new ClassifierSpec("lenet5", FashionMnist.ClassNames, 1, 28, 0.3f, 0.3f).ToCard().ToJson() });
        var wrongClassifier = Assert.Throws<InvalidDataException>(() => DetectionRun.Plan(With(lenet)));
        Assert.Contains("lenet5", wrongClassifier.Message);
        Assert.Contains("backbone-fc", wrongClassifier.Message);

        // Another family: a detector's run folder.
        string detector = dir.File("detector");
        Checkpoint.Save(Path.Combine(detector, "checkpoints", "last.ckpt"), 1,
            new Dictionary<string, TorchSharp.torch.nn.Module> { [Checkpoint.DefaultModuleName] = new FastRcnnNetwork(10, hiddenSize: 8) }, null,
            new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = Detectors.Card(FastRcnnMethod.Id, FashionMnist.ClassNames, [32, 64, 128], new FastRcnnOptions(), null).ToJson() });
        var wrongFamily = Assert.Throws<InvalidDataException>(() => DetectionRun.Plan(With(detector)));
        Assert.Contains("not a classifier", wrongFamily.Message);

        // Mismatched widths: a backbone-fc body of 16/32/64 does not fit the detectors' 32/64/128.
        string narrow = dir.File("narrow");
        Checkpoint.Save(Path.Combine(narrow, "checkpoints", "last.ckpt"), 1,
            new Dictionary<string, TorchSharp.torch.nn.Module> { [Checkpoint.DefaultModuleName] = new BackboneFc(10, 3, [16, 32, 64]) }, null,
            new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = new ClassifierSpec(BackboneFc.Id, FashionMnist.ClassNames, 3, 32, 0.45f, 0.25f).ToCard().ToJson() });
        var narrowPlan = Assert.Throws<InvalidDataException>(() => DetectionRun.Plan(With(narrow)));
        Assert.Contains("mismatched widths", narrowPlan.Message);
        using (var weights = BackboneWeights.FromClassifier(narrow))
        {
            var widths = Assert.Throws<InvalidDataException>(() => weights.CopyTo(new FastRcnnNetwork(10).Backbone));
            Assert.Contains("mismatched widths", widths.Message);
            Assert.Contains("16/32/64", widths.Message);
            Assert.Contains("32/64/128", widths.Message);
        }

        foreach (var e in new Exception[] { missing, wrongClassifier, wrongFamily, narrowPlan })
            Assert.DoesNotContain('\n', e.Message);
    }
}
