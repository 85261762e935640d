using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Classification;

/// <summary>Bad settings and data the classifiers cannot take fail early with one clear message.</summary>
public class ClassificationHardeningTests
{
    private static LabeledImages Images(int count, int side, params string[] classes) =>
        new(zeros(count, 1, side, side, ScalarType.Byte), arange(count, ScalarType.Int64) % classes.Length, classes, $"test-{side}px");

    private static ClassificationSettings Settings(string dir) => new()
    {
        Model = "lenet5", OutputDirectory = dir, Epochs = 1, Progress = ProgressMode.Quiet, TensorBoard = false, Validation = 0,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ABatchSizeBelowOneIsRefusedBeforeAnyDataIsRead(int batch)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => (Settings(dir.Path) with { BatchSize = batch }).Validate());
        Assert.Contains("--batch-size", e.Message);
        Assert.Contains("unknown model", Assert.Throws<ArgumentException>(() => (Settings(dir.Path) with { Model = "nope" }).Validate()).Message);
        Assert.Contains("--epochs", Assert.Throws<ArgumentException>(() => (Settings(dir.Path) with { Epochs = 0 }).Validate()).Message);
        (Settings(dir.Path) with { BatchSize = 1 }).Validate();
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void AnotherOptimizerThanTheRecipesSgdDropsItsNesterovMomentum(OptimizerKind optimizer)
    {
        using var dir = new TempDir();
        var settings = Settings(dir.Path) with { Model = BackboneFc.Id, Optimizer = optimizer };
        Assert.True(Classifiers.Find(BackboneFc.Id).Recipe.Nesterov); // the case: a Nesterov SGD recipe
        var (options, _) = ClassificationRun.Options(settings);
        Assert.Equal(optimizer, options.Optimizer);
        Assert.False(options.Nesterov);
        Assert.True(ClassificationRun.Options(settings with { Optimizer = null }).Options.Nesterov);
    }

    [Fact]
    public void ImagesThatAreNot28x28AreRefusedWithTheirShape()
    {
        using var dir = new TempDir();
        using var train = Images(20, 32, "a", "b");
        using var test = Images(4, 32, "a", "b");
        var e = Assert.Throws<InvalidDataException>(() => ClassificationRun.Execute(Settings(dir.Path), train, test, CPU));
        Assert.Contains("test-32px", e.Message);
        Assert.Contains("32", e.Message);
        Assert.Contains("28x28", e.Message);
    }

    [Fact]
    public void AOneClassDatasetIsRefused()
    {
        using var dir = new TempDir();
        using var train = Images(20, 28, "only");
        using var test = Images(4, 28, "only");
        var e = Assert.Throws<InvalidDataException>(() => ClassificationRun.Execute(Settings(dir.Path), train, test, CPU));
        Assert.Contains("1 class", e.Message);
        Assert.Contains("at least 2", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "checkpoints")));
    }

    private static string SavedClassifier(TempDir dir, ClassifierSpec spec)
    {
        string path = dir.File("c.ckpt");
        Aperture.Core.Checkpoint.Save(path, 1, new Dictionary<string, TorchSharp.torch.nn.Module> { ["model"] = new LeNet5(spec.ClassNames.Count) },
            metadata: new System.Text.Json.Nodes.JsonObject { [Aperture.Core.ModelCard.MetadataKey] = spec.ToCard().ToJson() });
        return path;
    }

    [Fact]
    public void EvaluatingImagesOfAnotherSizeIsRefusedBeforeTheModelRuns()
    {
        using var dir = new TempDir();
        string path = SavedClassifier(dir, new ClassifierSpec("lenet5", ["a", "b"], 1, 28, 0.3f, 0.35f));
        var e = Assert.Throws<InvalidDataException>(() => ClassifierEvaluation.Run(path, _ => Images(4, 32, "a", "b"), dir.Path, CPU));
        Assert.Contains("test-32px", e.Message);
        Assert.Contains("28x28", e.Message);
    }

    [Theory]
    [InlineData(1_000_000, 1)]
    [InlineData(-1, 1)]
    [InlineData(28, 100_000)]
    public void AModelCardWithAbsurdSizesIsRefusedBeforeAnythingIsBuilt(int inputSize, int channels)
    {
        using var dir = new TempDir();
        string path = SavedClassifier(dir, new ClassifierSpec("lenet5", ["a", "b"], channels, inputSize, 0.3f, 0.35f));
        var e = Assert.Throws<InvalidDataException>(() => ClassifierSpec.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("model card", e.Message);
    }
}
