using System.Text.Json;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Localization;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Localization;

/// <summary>The run behind <c>aperture localize</c> and the report's localization section.</summary>
public class LocalizationRunTests
{
    [Fact]
    public void ARunScoresDrawsWritesItsResultsAndItsFolderIsTheModel()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var items = FashionMnist.Load(DatasetSplit.Test);
        var options = new WeaklySupervisedOptions
        {
            TrainScenes = 64, ValidationScenes = 16, TestScenes = 10, InputSize = 32, Widths = [8, 16, 16], BatchSize = 16,
            Scenes = new SceneOptions { Width = 64, Height = 64, MinItems = 1, MaxItems = 2, MinScale = 0.6, MaxScale = 1.5 },
        };
        var (run, results) = LocalizationRun.Execute(new LocalizationSettings
        {
            OutputDirectory = dir.Path, Seed = 3, Options = options, Epochs = 1, Progress = ProgressMode.Quiet,
        }, items, items, CPU);

        Assert.Equal((64, 10, 1, false), (results.TrainScenes, results.TestScenes, results.Epochs, results.Pretrained));
        Assert.Equal(10, results.Top1Localization.Count);
        Assert.InRange(results.Top1Localization.Cam, 0, 1);
        Assert.All(results.Figures, f => Assert.True(new FileInfo(f).Length > 1000, f));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "results.json"))))
            Assert.Equal(results.ClassificationTop1, json.RootElement.GetProperty("classification_top1").GetDouble());
        var loaded = WeaklySupervisedModel.Load(dir.Path);
        Assert.Equal(run.Model.ClassNames, loaded.ClassNames);
        Assert.Equal(run.Model.Mean, loaded.Mean);
        var e = Assert.Throws<InvalidDataException>(() => ClassifierSpec.Load(dir.Path));
        Assert.Contains("aperture localize", e.Message);
    }
}
