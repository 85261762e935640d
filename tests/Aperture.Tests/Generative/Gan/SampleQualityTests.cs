using System.Text.Json.Nodes;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative.Gan;
using Aperture.Tests.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

[Collection(TorchGlobalRandomCollection.Name)]
public class SampleQualityTests
{
    private static string SaveClassifier(string model)
    {
        var spec = new ClassifierSpec(model, FashionMnist.ClassNames, 1, 28, FashionMnist.Mean, FashionMnist.Std);
        var net = spec.CreateModel();
        string path = Path.Combine(ToyClassification.TempDir(), "model.ckpt");
        Checkpoint.Save(path, 1, new Dictionary<string, TorchSharp.torch.nn.Module> { [Checkpoint.DefaultModuleName] = net }, null,
            new JsonObject { [ModelCard.MetadataKey] = spec.ToCard().ToJson() });
        return path;
    }

    [Theory]
    [InlineData("lenet5", 84)]
    [InlineData("vgg-gap", 0)]
    public void FeaturesAreThePenultimateLayer(string model, int width)
    {
        using var scope = NewDisposeScope();
        var (net, spec) = ClassifierSpec.Load(SaveClassifier(model));
        var images = rand(7, 1, 28, 28, generator: new Generator(1));
        var (features, predicted) = SampleQuality.Features(net, spec, images, batchSize: 3);
        Assert.Equal(7, features.shape[0]);
        if (width > 0) Assert.Equal(width, features.shape[1]);
        Assert.True(predicted.eq(ClassifierTraining.Predict(net, spec, images.mul(255)).argmax(1)).all().item<bool>(),
            "the class read off the features is the classifier's own prediction");
    }

    [Fact]
    public void ATrainedGeneratorIsMeasuredAgainstTheFloorAndARandomOne()
    {
        string classifier = SaveClassifier("lenet5");
        var options = new GanOptions { LatentSize = 8, Width = 4, Conditional = true };
        Aperture.Core.Torch.Seed(3);
        var sampler = new GanSampler(new DcganGenerator(options, 10), FashionMnist.ClassNames);
        using var test = FashionMnist.LoadSample(DatasetSplit.Test);
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        var q = SampleQuality.Measure(classifier, sampler, test, train, 200, 1);
        Assert.Equal(test.Count, q.RealImages);
        Assert.True(q.RealVsReal < q.Generator, $"real vs real {q.RealVsReal} below an untrained generator's {q.Generator}");
        Assert.InRange(q.ConditioningAccuracy!.Value, 0, 1);
    }
}
