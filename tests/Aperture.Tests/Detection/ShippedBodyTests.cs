using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Detection.FastRcnn;
using Aperture.Detection.Rcnn;
using Aperture.Detection.SlidingWindow;
using Aperture.Nn;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>The pre-trained body that ships inside Aperture.dll and where R-CNN and Fast R-CNN start by default.</summary>
public class ShippedBodyTests
{
    [Fact]
    public void TheShippedBodyIsATrainedClassifierOfItsRecordedAccuracy()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        string run = ShippedBody.WriteTo(dir.File("shipped"));
        var results = RunResults.Read<ClassificationResults>(run);
        Assert.NotNull(results);
        Assert.Equal((BackboneFc.Id, ShippedBody.Epochs, 55000L), (results!.Model, results.Epochs, results.TrainImages));
        Assert.InRange(results.TestAccuracy, 0.87, 0.88);

        // The shipped sample's 1,000 test items, drawn as the scenes draw them: the body and its classifier get them right
        // about as often as the 10,000 of the recorded run (87.6%); a random body gets a tenth.
        var (model, spec) = ClassifierSpec.Load(run);
        using var disposeModel = model;
        Assert.Equal((BackboneFc.Id, 3), (spec.Model, spec.InChannels));
        model.eval();
        using var items = FashionMnist.LoadSample(DatasetSplit.Test);
        using var patches = ItemPatches.Create(items, ItemPatches.DefaultSide, seed: 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var predicted = model.forward(Backbone.Normalize(patches.Images)).argmax(1);
        double accuracy = predicted.eq(patches.Labels).to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(accuracy, 0.80, 0.92);

        // The detectors read it like any trained classifier: the body, fc6 and fc7.
        using var body = BackboneWeights.FromClassifier(run);
        using var network = new FastRcnnNetwork(10);
        Assert.EndsWith("body, fc6 and fc7", body.CopyTo(network.Backbone, network.Head));
    }

    [Fact]
    public void RcnnAndFastRcnnStartFromItByDefaultTheSlidingWindowAndPretrainEpochsZeroFromScratch()
    {
        using var dir = new TempDir();
        DetectionSettings Settings(string method, string folder) => new() { Method = method, OutputDirectory = dir.File(folder), Progress = ProgressMode.Quiet };
        foreach (string method in new[] { FastRcnnMethod.Id, RcnnMethod.Id })
        {
            var settings = Settings(method, method);
            var (_, recipe, _) = DetectionRun.Plan(settings);
            var (body, pretraining) = DetectionRun.Body(settings, recipe, CPU);
            using (body)
            {
                Assert.NotNull(body);
                Assert.Equal((BackboneFc.Id, 20, 0.8756, true, 0.0),
                    (pretraining!.Classifier, pretraining.Epochs, pretraining.TestAccuracy, pretraining.Reused, pretraining.Seconds));
                Assert.Equal(Path.GetFullPath(Path.Combine(dir.File(method), "pretrain", "checkpoints", "best.ckpt")), body!.Checkpoint);
            }
            // Its copy in <out>/pretrain is what a second run (or --resume) reads.
            var (again, _) = DetectionRun.Body(settings, recipe, CPU);
            using (again) Assert.NotNull(again);

            var zero = settings with { OutputDirectory = dir.File(method + "-zero"), PretrainEpochs = 0 };
            Assert.Equal((null, null), DetectionRun.Body(zero, recipe, CPU));
            Assert.False(Directory.Exists(Path.Combine(zero.OutputDirectory, "pretrain")));
        }
        var sliding = Settings(SlidingWindowMethod.Id, "sliding");
        Assert.Equal((null, null), DetectionRun.Body(sliding, DetectionRun.Plan(sliding).Recipe, CPU));
    }

    [Fact]
    public void AFolderHoldingABodyOfOtherEpochsIsNotReusedAsTheOneAskedFor()
    {
        using var dir = new TempDir();
        var log = new StringWriter();
        var settings = new DetectionSettings { Method = FastRcnnMethod.Id, OutputDirectory = dir.File("run"), Progress = ProgressMode.Quiet, Log = log };
        var recipe = DetectionRun.Plan(settings).Recipe;
        string pretrain = ShippedBody.WriteTo(Path.Combine(settings.OutputDirectory, "pretrain"));
        // As if an earlier run had trained 3 epochs there (--pretrain-epochs 3): the default asks for the shipped body.
        RunResults.Write(pretrain, RunResults.Read<ClassificationResults>(pretrain)! with { Epochs = 3 });
        var (body, pretraining) = DetectionRun.Body(settings, recipe, CPU);
        using (body) Assert.Equal((ShippedBody.Epochs, true), (pretraining!.Epochs, pretraining.Reused));
        Assert.Contains("holds a body of 3 epochs, not the 20 asked for; replacing it", log.ToString());
        // --pretrain-epochs 20 is what the folder now holds: reused, not trained again.
        var (same, again) = DetectionRun.Body(settings with { PretrainEpochs = ShippedBody.Epochs }, recipe, CPU);
        using (same) Assert.Equal((ShippedBody.Epochs, true, 0.0), (again!.Epochs, again.Reused, again.Seconds));
        Assert.Contains($"reusing the pre-trained body in {pretrain}", log.ToString());
    }
}
