using Aperture.Core;
using Aperture.Data;
using Aperture.Generative;
using Aperture.Generative.ContextEncoders;
using Aperture.Generative.Gan;
using Aperture.Generative.Transfer;
using Aperture.Tests.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

/// <summary>Small feature-learner runs on the shipped sample: resume with both networks, loading, inpainting, transfer.</summary>
[Collection(TorchGlobalRandomCollection.Name)]
public class FeatureLearnerRunTests
{
    private static FeatureLearnerSettings Settings(string model, string dir, int epochs, bool resume = false) => new()
    {
        Model = model, OutputDirectory = dir, Seed = 3, Epochs = epochs, Resume = resume, Limit = 256, Validation = 100, TestImages = 50, LogEvery = 1,
        Set = model.StartsWith("context") ? ["width=4", "discriminator_width=4", "mask=random_block"] : ["width=4", "code_size=8"],
        Progress = ProgressMode.Quiet, Log = TextWriter.Null, TensorBoard = false,
    };

    private static Dictionary<string, float[]> Weights(string checkpoint, ContextEncoderOptions options)
    {
        var modules = new Dictionary<string, nn.Module>
        {
            ["model"] = new ContextEncoderNetwork(options),
            ["discriminator"] = new DcganDiscriminator(new GanOptions { Width = options.DiscriminatorWidth }, 0),
        };
        Checkpoint.Load(checkpoint, modules);
        return modules.SelectMany(m => m.Value.state_dict().Select(kv => ($"{m.Key}.{kv.Key}", kv.Value.to(ScalarType.Float32).data<float>().ToArray())))
            .ToDictionary(x => x.Item1, x => x.Item2);
    }

    [Fact]
    public void AKilledAndResumedContextEncoderEndsWithBothNetworksOfAnUninterruptedOne()
    {
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        using var test = FashionMnist.LoadSample(DatasetSplit.Test);
        string whole = ToyClassification.TempDir(), dir = ToyClassification.TempDir();
        var a = FeatureLearnerRun.Execute(Settings("context-encoder", whole, 3), train, test, CPU);
        FeatureLearnerRun.Execute(Settings("context-encoder", dir, 2), train, test, CPU);
        var b = FeatureLearnerRun.Execute(Settings("context-encoder", dir, 3, resume: true) with { Set = [] }, train, test, CPU);
        Assert.Equal(3, b.Epochs);
        var options = (ContextEncoderOptions)OptionAssignments.Apply(new ContextEncoderOptions(), Settings("context-encoder", dir, 1).Set);
        var wa = Weights(Path.Combine(whole, "checkpoints", "last.ckpt"), options);
        var wb = Weights(Path.Combine(dir, "checkpoints", "last.ckpt"), options);
        foreach (var (name, w) in wa) Assert.True(w.SequenceEqual(wb[name]), $"{name} differs after resume");
        Assert.Equal(["optimizer", "discriminator"], Checkpoint.ReadInfo(Path.Combine(dir, "checkpoints", "last.ckpt")).OptimizerNames);
        Assert.Equal(a.Inpainting!.Rows.Select(r => r.L2), b.Inpainting!.Rows.Select(r => r.L2));
        Assert.Equal(["mean image", "nearest neighbour", "context-encoder"], b.Inpainting.Rows.Select(r => r.Method));
        Assert.All(b.Figures, f => Assert.True(File.Exists(f), f));

        var (network, loaded, card) = FeatureLearners.LoadContextEncoder(dir, CPU);
        Assert.Equal(MaskKind.RandomBlock, loaded.Mask);
        Assert.Equal(ModelFamily.Encoder, card.Family);
        Assert.Throws<InvalidDataException>(() => FeatureLearners.LoadAutoEncoder(dir, CPU));
    }

    [Fact]
    public void AnAutoEncoderRunFeedsTheFewLabelTable()
    {
        using var train = FashionMnist.LoadSample(DatasetSplit.Train);
        using var test = FashionMnist.LoadSample(DatasetSplit.Test);
        string dir = ToyClassification.TempDir();
        var r = FeatureLearnerRun.Execute(Settings("dae", dir, 1), train, test, CPU);
        Assert.InRange(r.TestReconstructionMse!.Value, 0, 1);
        Assert.True(File.Exists(r.Figures[0]));
        var table = FewLabelTransfer.Run([("dae", dir)], train, test, new FewLabelOptions { Labels = [20], Seeds = 2, Steps = 5 }, CPU, testLimit: 100);
        Assert.Equal(["scratch", "frozen", "fine-tuned"], table.Cells.Select(c => c.Mode));
        Assert.All(table.Cells, c => { Assert.Equal(2, c.Accuracies.Count); Assert.InRange(c.Mean, 0, 1); });
        var again = FewLabelTransfer.Run([("dae", dir)], train, test, new FewLabelOptions { Labels = [20], Seeds = 2, Steps = 5 }, CPU, testLimit: 100);
        Assert.Equal(table.Cells.Select(c => c.Mean), again.Cells.Select(c => c.Mean)); // seeded: the same numbers again
    }

    [Fact]
    public void BadSettingsAreRefusedBeforeAnyDataIsRead()
    {
        var s = Settings("ae", ToyClassification.TempDir(), 1);
        Assert.Contains("noise_level", Assert.Throws<ArgumentException>(() => (s with { Set = ["noise_level=2"] }).Plan()).Message);
        Assert.Contains("adversarial_weight", Assert.Throws<ArgumentException>(() => (s with { Model = "context-encoder", Set = ["adversarial_weight=1"] }).Plan()).Message);
        Assert.Contains("one of", Assert.Throws<ArgumentException>(() => (s with { Model = "vae" }).Plan()).Message);
        Assert.Throws<ArgumentException>(() => new FewLabelOptions { Labels = [] }.Validate());
    }
}
