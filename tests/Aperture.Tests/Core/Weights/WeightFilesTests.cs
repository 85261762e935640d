using Aperture.Classification;
using Aperture.Core;
using Aperture.Core.Weights;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Core.Weights;

/// <summary>Damaged PyTorch files, checkpoints with several modules, and a PyTorch classifier imported as a run folder.</summary>
public class WeightFilesTests
{
    [Fact]
    public void ATruncatedStateDictGetsOneLineNamingTheFile()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(PyTorchFixtures.File("lenet5.pt"));
        File.WriteAllBytes(dir.File("cut.pt"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => WeightLoader.Load(new LeNet5(10), dir.File("cut.pt")));
        Assert.Contains("cut.pt", e.Message);
    }

    [Fact]
    public void AFileOfNoKnownKindSaysWhichKindsAreRead()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("old.pt"), "\u0080\u0002 legacy pickle");
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Read(dir.File("old.pt")));
        Assert.Contains("old.pt", e.Message);
        Assert.Contains("PyTorch state_dict", e.Message);
    }

    [Fact]
    public void ACheckpointWithSeveralModulesExportsThemPrefixedOrOneByName()
    {
        using var dir = new TempDir();
        var g = nn.Linear(3, 4);
        var d = nn.Linear(4, 1);
        string ckpt = dir.File("gan.ckpt");
        Checkpoint.Save(ckpt, 2, new Dictionary<string, nn.Module> { ["generator"] = g, ["discriminator"] = d });
        var all = CheckpointExport.ToSafetensors(ckpt, dir.File("all.safetensors"));
        Assert.Equal(["generator.weight", "generator.bias", "discriminator.weight", "discriminator.bias"], all.Select(a => a.Name));
        var one = CheckpointExport.ToSafetensors(ckpt, dir.File("g.safetensors"), module: "generator");
        Assert.Equal(["weight", "bias"], one.Select(a => a.Name));
        Assert.True(g.weight!.equal(SafetensorsFile.Read(dir.File("g.safetensors"))["weight"]).all().item<bool>());
        var e = Assert.Throws<InvalidDataException>(() => CheckpointExport.ToSafetensors(ckpt, dir.File("x.safetensors"), module: "critic"));
        Assert.Contains("generator, discriminator", e.Message);
    }

    [Fact]
    public void AnImportedClassifierIsARunFolderThatEvalTakes()
    {
        using var dir = new TempDir();
        var spec = new ClassifierSpec("lenet5", Aperture.Data.FashionMnist.ClassNames, 1, 28, 0f, 1f);
        var (checkpoint, report) = ClassifierImport.Run(PyTorchFixtures.File("lenet5.pt"), spec, dir.File("run"));
        Assert.Equal(10, report.Loaded.Count);
        Assert.Equal(RunFolder.Checkpoint(dir.File("run")), checkpoint);
        var (model, loaded) = ClassifierSpec.Load(dir.File("run"));
        Assert.Equal(spec.ClassNames, loaded.ClassNames);
        var io = SafetensorsFile.Read(PyTorchFixtures.File("io.safetensors"));
        using var _ = no_grad();
        Assert.True((model.forward(io["input"]) - io["output"]).abs().max().item<float>() <= 1e-5f);
    }
}
