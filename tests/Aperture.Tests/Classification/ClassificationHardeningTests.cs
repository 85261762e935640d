using Aperture.Classification;
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
}
