using Aperture.Classification;
using Aperture.Core;
using Aperture.Core.Weights;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Core.Weights;

/// <summary>
/// Weights in and out against PyTorch: fixtures written by <c>bench/peers/lenet5_weights.py</c> (torch 1.13) load into
/// Aperture's LeNet-5 and give PyTorch's logits to 1e-5; Aperture's export loads in PyTorch with Aperture's logits.
/// </summary>
public class PyTorchRoundTripTests
{
    private static (Tensor Input, Tensor Output) Io()
    {
        var io = SafetensorsFile.Read(PyTorchFixtures.File("io.safetensors"));
        return (io["input"], io["output"]);
    }

    private static void AssertSameLogits(LeNet5 net)
    {
        var (x, expected) = Io();
        net.eval();
        using var _ = no_grad();
        var y = net.forward(x);
        double diff = (y - expected).abs().max().item<float>();
        Assert.True(diff <= 1e-5, $"max |aperture - pytorch| = {diff}");
    }

    [Fact]
    public void StateDictSavedByTorchGivesPyTorchsOutputs()
    {
        var net = new LeNet5(10);
        var report = WeightLoader.Load(net, PyTorchFixtures.File("lenet5.pt"));
        Assert.Equal(10, report.Loaded.Count);
        Assert.Empty(report.Missing);
        AssertSameLogits(net);
    }

    [Fact]
    public void SafetensorsWithSequentialNamesLoadThroughANameMap()
    {
        var net = new LeNet5(10);
        var report = WeightLoader.Load(net, PyTorchFixtures.File("lenet5_seq.safetensors"), WeightNameMap.Load(PyTorchFixtures.File("lenet5_seq.map")));
        Assert.Equal(10, report.Loaded.Count);
        AssertSameLogits(net);
    }

    [Fact]
    public void WithoutTheMapTheErrorNamesTheFileAndListsMissingAndUnexpectedTensors()
    {
        var net = new LeNet5(10);
        var before = net.state_dict()["c1.weight"].clone();
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(net, PyTorchFixtures.File("lenet5_seq.safetensors")));
        Assert.Contains("lenet5_seq.safetensors", e.Message);
        Assert.Contains("10 missing from the file: c1.weight, c1.bias", e.Message);
        Assert.Contains("10 not in the model: classifier.0.bias, classifier.0.weight, classifier.2.bias", e.Message);
        Assert.True(before.equal(net.state_dict()["c1.weight"]).all().item<bool>(), "a failed load must leave the model as it was");
    }

    [Fact]
    public void AWronglyShapedTensorIsListedWithBothShapes()
    {
        var net = new LeNet5(numClasses: 5);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(net, PyTorchFixtures.File("lenet5.pt")));
        Assert.Contains("lenet5.pt", e.Message);
        Assert.Contains("2 wrongly shaped: output.weight: file [10, 84], model [5, 84], output.bias: file [10], model [5]", e.Message);
    }

    [Fact]
    public void NonStrictLoadKeepsWhatIsMissingAndReportsIt()
    {
        var net = new LeNet5(10);
        var map = WeightNameMap.Parse(["-output.", "-c5.weight"]);
        var report = WeightLoader.Load(net, PyTorchFixtures.File("lenet5.pt"), map, strict: false);
        Assert.Equal(["c5.weight", "output.bias", "output.weight"], report.Missing.Order());
        Assert.Equal(7, report.Loaded.Count);
        Assert.Equal(3, report.Dropped.Count);
    }

    [Fact]
    public void ExportedCheckpointHoldsTheModelsNamesAndValues()
    {
        using var dir = new TempDir();
        Aperture.Core.Torch.Seed(3);
        var net = new LeNet5(10);
        string ckpt = dir.File("run/checkpoints/best.ckpt");
        Checkpoint.Save(ckpt, 1, new Dictionary<string, nn.Module> { ["model"] = net });
        var written = CheckpointExport.ToSafetensors(dir.File("run"), dir.File("lenet5.safetensors"));
        Assert.Equal(net.state_dict().Keys, written.Select(w => w.Name));
        var back = SafetensorsFile.Read(dir.File("lenet5.safetensors"));
        foreach (var (name, t) in net.state_dict())
            Assert.True(t.equal(back[name]).all().item<bool>(), name);
    }

    [PyTorchFact]
    public void ExportedCheckpointLoadsInPyTorchWithTheSameOutputs()
    {
        using var dir = new TempDir();
        Aperture.Core.Torch.Seed(11);
        var net = new LeNet5(10);
        net.eval();
        string ckpt = dir.File("checkpoints/last.ckpt");
        Checkpoint.Save(ckpt, 1, new Dictionary<string, nn.Module> { ["model"] = net });
        CheckpointExport.ToSafetensors(ckpt, dir.File("aperture.safetensors"));
        var (x, _) = Io();
        using (no_grad())
            SafetensorsFile.Write(dir.File("io.safetensors"), new Dictionary<string, Tensor> { ["input"] = x, ["output"] = net.forward(x) });

        string peer = Path.Combine(ExternalProcess.RepoRoot, "bench", "peers", "lenet5_weights.py");
        var (code, output) = ExternalProcess.Run(PyTorchFactAttribute.Python,
            $"\"{peer}\" check \"{dir.File("aperture.safetensors")}\" \"{dir.File("io.safetensors")}\"", TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"PyTorch's check failed (exit {code}): {output}");
        Assert.Contains("max |pytorch - aperture|", output);
    }
}
