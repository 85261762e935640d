using Aperture.Detection;

namespace Aperture.Tests.Detection;

/// <summary><see cref="DetectionRun.Plan"/> refuses bad settings before any data is read: one ArgumentException naming the value.</summary>
public class DetectionPlanTests
{
    private static DetectionSettings Good => new() { Method = "fast-rcnn", OutputDirectory = "unused" };

    [Fact]
    public void GoodSettingsPlanTheRecipeWithTheChangesApplied()
    {
        var (method, recipe, training) = DetectionRun.Plan(Good with { Set = ["rois_per_image=32"], Epochs = 3 });
        Assert.Equal("fast-rcnn", method.Name);
        Assert.Equal(32, ((Aperture.Detection.FastRcnn.FastRcnnOptions)recipe.Options).RoisPerImage);
        Assert.Equal(3, training.Epochs);
    }

    [Theory]
    [InlineData(null, -1.0, "--lr")]
    [InlineData(0, null, "--epochs")]
    public void BadTrainerSettingsAreRefused(int? epochs, double? lr, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => DetectionRun.Plan(Good with { Epochs = epochs, LearningRate = lr }));
        Assert.Contains(named, e.Message);
    }

    [Theory]
    [InlineData("fast-rcnn", "foreground_fraction=5", "foreground fraction")]
    [InlineData("fast-rcnn", "pool_size=abc", "pool_size=abc")]
    [InlineData("rcnn", "no_such_option=1", "no_such_option")]
    public void BadMethodOptionsAreRefusedByName(string method, string set, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => DetectionRun.Plan(Good with { Method = method, Set = [set] }));
        Assert.Contains(named, e.Message);
    }
}
