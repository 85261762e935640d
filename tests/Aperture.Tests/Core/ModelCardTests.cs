using Aperture.Classification;
using Aperture.Core;
using Aperture.Detection.FastRcnn;
using Aperture.Detection;
using Aperture.Tests.Data;
using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

public class ModelCardTests
{
    [Fact]
    public void ACardRoundTripsThroughACheckpointWithItsTypedSettings()
    {
        using var dir = new TempDir();
        var options = new FastRcnnOptions { RoiAlign = true, PoolSize = 5, NmsIou = 0.45 };
        var card = Detectors.Card("fast-rcnn", ["a", "b"], [8, 16, 32], options, "ss-fast-100");
        string path = dir.File("m.ckpt");
        Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["model"] = new LeNet5() },
            metadata: new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = card.ToJson() });

        var back = ModelCard.Read(path);
        Assert.Equal((ModelFamily.Detector, "fast-rcnn", "ss-fast-100"), (back.Family, back.Method, back.Proposals));
        Assert.Equal(new[] { "a", "b" }, back.ClassNames);
        Assert.Equal(new[] { 8, 16, 32 }, back.Widths);
        Assert.Equal(options, back.SettingsAs<FastRcnnOptions>());
        // Settings are stored with the snake_case names the CLI's --set uses.
        Assert.True(back.Settings!.ContainsKey("roi_align"));
    }

    [Fact]
    public void ChangesNameEachSettingAndFieldThatDiffers()
    {
        var a = Detectors.Card("fast-rcnn", ["a", "b"], [8, 16, 32], new FastRcnnOptions(), "ss-fast-100", "body in x");
        var b = Detectors.Card("fast-rcnn", ["a", "b"], [8, 16, 32], new FastRcnnOptions { NmsIou = 0.4 }, "ss-fast-100", "body in y");
        Assert.Equal(["backbone_weights \"body in x\" -> \"body in y\"", "nms_iou 0.3 -> 0.4"], ModelCard.Changes(a, b));
        Assert.Empty(ModelCard.Changes(a, a));
        Assert.Contains("family none -> \"detector\"", ModelCard.Changes(null, a));
    }

    [Fact]
    public void TheWrongFamilyNamesTheVerbThatTakesIt()
    {
        using var dir = new TempDir();
        string path = dir.File("c.ckpt");
        var spec = new ClassifierSpec("lenet5", FashionMnistClasses, 1, 28, 0.3f, 0.35f);
        Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["model"] = spec.CreateModel() },
            metadata: new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = spec.ToCard().ToJson() });

        var loaded = ClassifierSpec.Load(path).Spec;
        Assert.Equal((spec.Model, spec.InChannels, spec.InputSize, spec.Mean, spec.Std), (loaded.Model, loaded.InChannels, loaded.InputSize, loaded.Mean, loaded.Std));
        Assert.Equal(spec.ClassNames, loaded.ClassNames);
        var e = Assert.Throws<InvalidDataException>(() => Detectors.Load(path, CPU));
        Assert.Contains(path, e.Message);
        Assert.Contains("classifier (lenet5), not a detector", e.Message);
        Assert.Contains("aperture eval", e.Message);
        var l = Assert.Throws<InvalidDataException>(() => Aperture.Localization.WeaklySupervisedModel.Load(path));
        Assert.Contains("aperture eval", l.Message);
    }

    [Fact]
    public void ARunFolderStandsForItsBestCheckpointElseItsLast()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => RunFolder.Checkpoint(dir.Path));
        Assert.Throws<FileNotFoundException>(() => RunFolder.Checkpoint(dir.File("missing")));
        Directory.CreateDirectory(dir.File("checkpoints"));
        File.WriteAllText(dir.File("checkpoints/last.ckpt"), "x");
        Assert.Equal(dir.File("checkpoints/last.ckpt"), RunFolder.Checkpoint(dir.Path));
        File.WriteAllText(dir.File("checkpoints/best.ckpt"), "x");
        Assert.Equal(dir.File("checkpoints/best.ckpt"), RunFolder.Checkpoint(dir.Path));
        Assert.Equal(Path.GetFullPath(dir.Path), RunFolder.Of(dir.File("checkpoints/best.ckpt")));
    }

    [Fact]
    public void AddingModulesKeepsTheOptimizerStateTheEpochAndTheCard()
    {
        using var dir = new TempDir();
        string path = dir.File("m.ckpt");
        var net = new LeNet5();
        var sgd = ScalarSafeOptimizers.Sgd(net.parameters(), 0.1, momentum: 0.9);
        net.forward(randn(2, 1, 28, 28)).sum().backward();
        sgd.step();
        var card = new ClassifierSpec("lenet5", FashionMnistClasses, 1, 28, 0.3f, 0.35f).ToCard();
        Checkpoint.Save(path, 4, new Dictionary<string, nn.Module> { ["model"] = net }, new Dictionary<string, OptimizerHelper> { ["optimizer"] = sgd },
            new System.Text.Json.Nodes.JsonObject { [ModelCard.MetadataKey] = card.ToJson() });
        var extra = nn.Linear(3, 2);

        Checkpoint.AddModules(path, new Dictionary<string, nn.Module> { ["linear"] = extra });

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(4, info.Epoch);
        Assert.Equal(new[] { "model", "linear" }, info.ModuleNames);
        Assert.Equal(new[] { "optimizer" }, info.OptimizerNames);
        Assert.Equal((ModelFamily.Classifier, "lenet5"), (ModelCard.Read(path).Family, ModelCard.Read(path).Method));
        var back = nn.Linear(3, 2);
        Checkpoint.LoadModule(path, back, "linear");
        Assert.True(back.weight!.allclose(extra.weight!, rtol: 0, atol: 0));
        var sgd2 = ScalarSafeOptimizers.Sgd(new LeNet5().parameters(), 0.1, momentum: 0.9);
        Checkpoint.Load(path, new Dictionary<string, nn.Module> { ["model"] = new LeNet5() }, new Dictionary<string, OptimizerHelper> { ["optimizer"] = sgd2 });
    }

    [Fact]
    public void MethodOptionsAreChangedByNameAndAWrongNameListsThem()
    {
        var recipe = Detectors.Find("fast-rcnn").Recipe(RunBudget.Default);
        var changed = recipe.With(["roi_align=false", "rois-per-image=128", "nms_iou=0.5"]);
        var o = (FastRcnnOptions)changed.Options;
        Assert.Equal((false, 128, 0.5), (o.RoiAlign, o.RoisPerImage, o.NmsIou));
        Assert.Equal(new FastRcnnOptions(), recipe.Options);
        var e = Assert.Throws<ArgumentException>(() => recipe.With(["roi_allign=true"]));
        Assert.Contains("roi_align", e.Message);
        Assert.Throws<ArgumentException>(() => recipe.With(["pool_size=big"]));
        Assert.Throws<ArgumentException>(() => recipe.With(["pool_size"]));
    }

    private static readonly string[] FashionMnistClasses = Aperture.Data.FashionMnist.ClassNames.ToArray();
}
