using System.Text.Json;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Detection;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Classification;

/// <summary>The run behind <c>aperture train classify</c> and the report's chapter, end to end on real images.</summary>
[Collection(Aperture.Tests.Training.TorchGlobalRandomCollection.Name)]
public class ClassificationRunTests
{
    [Fact]
    public void ARunTrainsScoresDrawsAndLeavesAFolderThatIsTheModel()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var train = FashionMnist.Load(DatasetSplit.Train);
        using var test = FashionMnist.Load(DatasetSplit.Test);
        using var testPart = test.Subset(arange(500));
        var settings = new ClassificationSettings
        {
            Model = "lenet5", OutputDirectory = dir.Path, Seed = 2, Epochs = 2, Limit = 2000, Validation = 300, Optimizer = OptimizerKind.Adam, LearningRate = 2e-3,
            Progress = ProgressMode.Quiet, TensorBoard = false,
        };
        var (run, results) = ClassificationRun.Execute(settings, train, testPart, CPU);

        Assert.Equal((2000L, 300L, 500L, 2), (results.TrainImages, results.ValidationImages, results.TestImages, results.Epochs));
        Assert.True(results.TestAccuracy > 0.6, $"two epochs on 2,000 real images should be far above chance (10%); got {results.TestAccuracy:P1}");
        Assert.Equal(10, results.PerClassAccuracy.Count);
        foreach (var png in new[] { results.Figures.Curves, results.Figures.Confusion, results.Figures.Predictions, results.Figures.Filters })
            Assert.True(new FileInfo(png).Length > 1000, png);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "results.json"))))
        {
            Assert.Equal("lenet5", json.RootElement.GetProperty("model").GetString());
            Assert.Equal(results.TestAccuracy, json.RootElement.GetProperty("test_accuracy").GetDouble());
        }
        // The folder is the model: eval's path gives the card and the weights; a detector's verb is told what it is.
        var (model, spec) = ClassifierSpec.Load(dir.Path);
        Assert.Equal(run.Spec.ClassNames, spec.ClassNames);
        var e = Assert.Throws<InvalidDataException>(() => Detectors.Load(dir.Path, CPU));
        Assert.Contains("aperture eval", e.Message);
        var cm = ClassifierTraining.Evaluate(model, spec, testPart);
        Assert.InRange(cm.Accuracy, 0.6, 1.0);

        // What eval, predict and cam do with it.
        var eval = ClassifierEvaluation.Run(dir.Path, _ => testPart.Subset(arange(500)), null, CPU);
        Assert.Equal((500L, cm.Accuracy), (eval.Images, eval.Accuracy));
        Assert.True(File.Exists(eval.ConfusionPng));
        string itemPng = dir.File("item.png");
        Aperture.Imaging.ImageTensor.Write(itemPng, testPart.Images[0]);
        var top = ClassifierEvaluation.TopK(model, spec, itemPng, 3);
        Assert.Equal(3, top.Count);
        Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability);
        using (var probs = ClassifierTraining.Predict(model, spec, testPart.Images.narrow(0, 0, 1)))
            Assert.Equal(spec.ClassNames[(int)probs[0].argmax().item<long>()], top[0].Class);
        Assert.Throws<ArgumentException>(() => ClassifierEvaluation.TopK(model, spec, itemPng, 0));
        var maps = Aperture.Localization.ImageClassMaps.Run(model, spec, itemPng, Aperture.Localization.ClassMapMethod.GradCam, null, "Trouser", 3, false, dir.Path);
        Assert.Equal("Trouser", Assert.Single(maps.Maps).Class);
        Assert.True(File.Exists(maps.Png));
        var noGap = Assert.Throws<ArgumentException>(() => Aperture.Localization.ImageClassMaps.Run(model, spec, itemPng, Aperture.Localization.ClassMapMethod.Cam, null, null, 3, false, dir.Path));
        Assert.Contains("global average pooling", noGap.Message);
        Assert.Throws<ArgumentException>(() => Aperture.Localization.ImageClassMaps.Run(model, spec, itemPng, Aperture.Localization.ClassMapMethod.GradCam, "conv9", null, 3, false, dir.Path));
    }

    [Fact]
    public void AnUnknownModelNamesTheKnownOnes()
    {
        using var dir = new TempDir();
        using var images = new LabeledImages(zeros(10, 1, 28, 28, ScalarType.Byte), arange(10), FashionMnist.ClassNames, "zeros");
        var e = Assert.Throws<ArgumentException>(() => ClassificationRun.Execute(new ClassificationSettings { Model = "alexnet", OutputDirectory = dir.Path }, images, images, CPU));
        Assert.Contains("lenet5", e.Message);
        Assert.Contains("vgg-gap", e.Message);
    }
}
