using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Classification;

[Collection(Aperture.Tests.Training.TorchGlobalRandomCollection.Name)]
public class ClassifierTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-cls-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LeNet5LearnsFashionMnistAndReloadsFromItsCheckpointAlone()
    {
        using var sample = FashionMnist.LoadSample(DatasetSplit.Train);
        using var test = FashionMnist.LoadSample(DatasetSplit.Test);
        var (train, val) = sample.Split(500, seed: 3);
        using (train)
        using (val)
        {
            var options = new TrainingOptions
            {
                Epochs = 3, LearningRate = 0.02, Schedule = ScheduleKind.Cosine, Seed = 3, OutputDirectory = _dir,
                Progress = ProgressMode.Quiet, TensorBoard = false,
            };
            var run = ClassifierTraining.Train("lenet5", train, val, test, options, batchSize: 64, augment: false);
            Assert.True(run.Training.Succeeded, run.Training.Message);
            // Three epochs on 5,500 real images: far above chance (10%); two epochs sat at 0.70, on the edge, depending on thread count.
            Assert.True(run.Test.Accuracy > 0.72, $"test accuracy {run.Test.Accuracy}");
            Assert.Equal(test.Count, run.Test.Total);

            var (model, spec) = ClassifierSpec.Load(run.Training.LastCheckpoint!);
            Assert.Equal("lenet5", spec.Model);
            Assert.Equal(FashionMnist.ClassNames, spec.ClassNames);
            var again = ClassifierTraining.Evaluate(model, spec, test);
            Assert.Equal(run.Test.ToArray(), again.ToArray());

            using var probs = ClassifierTraining.Predict(model, spec, test.Images.narrow(0, 0, 5));
            Assert.Equal(new long[] { 5, 10 }, probs.shape);
            Assert.True(probs.sum(1).allclose(ones(5), atol: 1e-5));
        }
    }

    [Fact]
    public void ACheckpointWithoutAClassifierDescriptionIsAClearError()
    {
        string path = Path.Combine(_dir, "plain.ckpt");
        Aperture.Core.Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["model"] = new LeNet5() });
        var e = Assert.Throws<InvalidDataException>(() => ClassifierSpec.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("classifier", e.Message);
    }
}
