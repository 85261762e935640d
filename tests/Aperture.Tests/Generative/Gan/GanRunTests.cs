using Aperture.Core;
using Aperture.Data;
using Aperture.Generative.Gan;
using Aperture.Imaging;
using Aperture.Tests.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

/// <summary>Small GAN runs on the shipped sample: resume, checkpoints, sampling from the run folder.</summary>
[Collection(TorchGlobalRandomCollection.Name)]
public class GanRunTests
{
    private static GanSettings Settings(string model, string dir, int epochs, bool resume = false) => new()
    {
        Model = model, OutputDirectory = dir, Seed = 7, Epochs = epochs, Resume = resume, Limit = 256, LogEvery = 1,
        Set = ["width=4", "latent_size=8", "embedding_size=4", "batch_size=64", "ema_decay=0.9", "label_smoothing=0.1"],
        Progress = ProgressMode.Quiet, Log = TextWriter.Null, TensorBoard = false,
    };

    private static Dictionary<string, float[]> Weights(GanTask task) =>
        task.Modules.SelectMany(m => m.Value.state_dict().Select(kv => ($"{m.Key}.{kv.Key}", kv.Value)))
            .ToDictionary(x => x.Item1, x => x.Value.to(ScalarType.Float32).cpu().data<float>().ToArray());

    [Theory]
    [InlineData("dcgan")]
    [InlineData("cgan")]
    public void AKilledAndResumedRunEndsWithTheWeightsOfAnUninterruptedOne(string model)
    {
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        var (whole, wholeTask) = GanRun.Execute(Settings(model, ToyClassification.TempDir(), 3), train, CPU);

        string dir = ToyClassification.TempDir();
        GanRun.Execute(Settings(model, dir, 2), train, CPU); // "killed" after epoch 2: a new process resumes
        // Without --set: the options come from the checkpoint (today's defaults would not even fit its weights).
        var (resumed, resumedTask) = GanRun.Execute(Settings(model, dir, 3, resume: true) with { Set = [] }, train, CPU);

        Assert.Equal(3, resumed.Epochs);
        var a = Weights(wholeTask);
        var b = Weights(resumedTask);
        Assert.Contains("generator_ema.updates", a.Keys);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, w) in a) Assert.True(w.SequenceEqual(b[name]), $"{name} differs after resume");
        Assert.Equal(whole.Last, resumed.Last);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "samples", "health.jsonl")).Length);
        Assert.All(resumed.EpochGrids, p => Assert.True(File.Exists(p), p));
        Assert.Equal(3, resumed.EpochGrids.Count);
        var info = Checkpoint.ReadInfo(resumed.Checkpoint!);
        Assert.Equal(["generator", "discriminator"], info.OptimizerNames);
        Assert.Equal(ModelFamily.Gan, ModelCard.Read(resumed.Checkpoint!).Family);
    }

    [Fact]
    public void ATrainedRunSamplesGridsFromItsFolder()
    {
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        string dir = ToyClassification.TempDir();
        var (results, _) = GanRun.Execute(Settings("cgan", dir, 1), train, CPU);
        Assert.All(results.Figures, p => Assert.True(File.Exists(p), p));
        Assert.Contains(results.Health, new[] { "healthy", "diverged", "collapsed" });

        var (sampler, card) = Gans.Load(dir, CPU);
        Assert.Equal("cgan", card.Method);
        Assert.True(sampler.Conditional);
        string outDir = ToyClassification.TempDir();
        // 20 samples of a conditional GAN: 10 columns (one per class), 2 rows of 2x-scaled 28-pixel tiles with 2-pixel padding.
        var size = ImageFile.ReadSize(sampler.WriteSamples(Path.Combine(outDir, "s.png"), 20, 1));
        Assert.Equal((10 * 58 + 2, 2 * 58 + 2), size);
        Assert.Equal((4 * 58 + 2, 10 * 58 + 2), ImageFile.ReadSize(sampler.WriteClassRows(Path.Combine(outDir, "c.png"), 4, 1)));
        Assert.Equal((10 * 58 + 2, 8 * 58 + 2), ImageFile.ReadSize(sampler.WriteInterpolation(Path.Combine(outDir, "i.png"), 8, 10, true, 1)));
        // Same seed, same images; another seed, other images.
        using var scope = NewDisposeScope();
        Assert.True(sampler.Sample(10, 3).Images.allclose(sampler.Sample(10, 3).Images, 0, 0));
        Assert.False(sampler.Sample(10, 3).Images.allclose(sampler.Sample(10, 4).Images, 0, 0));
    }

    [Fact]
    public void AFolderWithoutCheckpointIsRefused()
    {
        string dir = ToyClassification.TempDir();
        Assert.Throws<FileNotFoundException>(() => Gans.Load(dir, CPU));
    }
}
