using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Tests.Training;
using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

public class CheckpointTests
{
    private static string NewPath() => Path.Combine(ToyClassification.TempDir(), "x.ckpt");

    private static void Steps(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, ToyClassification data, int count)
    {
        for (int s = 0; s < count; s++)
        {
            using var scope = NewDisposeScope();
            using var batch = data.Make(Enumerable.Range(s * 8, 8).ToArray());
            var loss = nn.functional.cross_entropy(model.forward(batch.Images), batch.Labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, false)]
    [InlineData(OptimizerKind.Sgd, true)]
    [InlineData(OptimizerKind.Adam, false)]
    [InlineData(OptimizerKind.AdamW, false)]
    public void OptimizerStateRoundTripsSoTheNextStepIsIdentical(OptimizerKind kind, bool nesterov)
    {
        using var data = new ToyClassification();
        var options = new TrainingOptions { Optimizer = kind, Nesterov = nesterov, LearningRate = 0.05, WeightDecay = 1e-3 };
        using var a = ToyClassification.Model();
        var optA = OptimizerFactory.CreateOptimizer(a.parameters(), options);
        Steps(a, optA, data, 3);
        string path = NewPath();
        Checkpoint.Save(path, 3, new Dictionary<string, nn.Module> { ["model"] = a },
            new Dictionary<string, OptimizerHelper> { ["opt"] = optA });

        using var b = ToyClassification.Model();
        var optB = OptimizerFactory.CreateOptimizer(b.parameters(), options);
        using (var scope = NewDisposeScope()) // loading inside a scope must not tie optimizer state to that scope
            Checkpoint.Load(path, new Dictionary<string, nn.Module> { ["model"] = b },
                new Dictionary<string, OptimizerHelper> { ["opt"] = optB });

        if (kind == OptimizerKind.Sgd)
        {
            var stateA = optA.state_dict().State.Cast<SGD.State>().ToList();
            var stateB = optB.state_dict().State.Cast<SGD.State>().ToList();
            Assert.All(stateB, s => Assert.NotNull(s.momentum_buffer));
            for (int i = 0; i < stateA.Count; i++)
            {
                Assert.False(stateB[i].momentum_buffer!.IsInvalid);
                Assert.Equal(stateA[i].momentum_buffer!.data<float>().ToArray(), stateB[i].momentum_buffer!.data<float>().ToArray());
            }
        }
        // The next step only matches if momentum / Adam moments and step counts came back.
        Steps(a, optA, data, 2);
        Steps(b, optB, data, 2);
        Assert.Equal(ToyClassification.Weights(a), ToyClassification.Weights(b));

        // And it would not match without the optimizer state: a fresh optimizer from the same weights diverges.
        using var c = ToyClassification.Model();
        Checkpoint.LoadModule(path, c);
        var optC = OptimizerFactory.CreateOptimizer(c.parameters(), options);
        Steps(c, optC, data, 2);
        Assert.NotEqual(ToyClassification.Weights(a), ToyClassification.Weights(c));
    }

    [Fact]
    public void LoadModuleRestoresTheModelAndTheHeader()
    {
        using var a = ToyClassification.Model();
        string path = NewPath();
        Checkpoint.Save(path, 7, new Dictionary<string, nn.Module> { [Checkpoint.DefaultModuleName] = a },
            metadata: new JsonObject { ["note"] = "hello" });
        using var b = ToyClassification.Model();
        Assert.NotEqual(ToyClassification.Weights(a), ToyClassification.Weights(b));
        var info = Checkpoint.LoadModule(path, b);
        Assert.Equal(ToyClassification.Weights(a), ToyClassification.Weights(b));
        Assert.Equal(7, info.Epoch);
        Assert.Equal(["model"], info.ModuleNames);
        Assert.Empty(info.OptimizerNames);
        Assert.Equal("hello", info.Metadata["note"]!.GetValue<string>());
    }

    public static TheoryData<string> Damages => new() { "flip", "truncate", "text", "empty" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedFileGivesOneClearErrorNamingItAndChangesNothing(string damage)
    {
        using var a = ToyClassification.Model();
        string path = NewPath();
        Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["model"] = a });
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[bytes.Length - 100] ^= 0x01; File.WriteAllBytes(path, bytes); break;
            case "truncate": File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]); break;
            case "text": File.WriteAllText(path, "epoch,loss\n1,0.5\n"); break;
            case "empty": File.WriteAllBytes(path, []); break;
        }
        using var b = ToyClassification.Model();
        var before = ToyClassification.Weights(b);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModule(path, b));
        Assert.Contains(Path.GetFullPath(path), e.Message);
        Assert.Contains(damage is "text" or "empty" ? "not an Aperture checkpoint" : "corrupt", e.Message);
        Assert.Equal(before, ToyClassification.Weights(b));
    }

    [Fact]
    public void MissingFileWrongNameAndWrongArchitectureAreNamed()
    {
        string path = NewPath();
        using var a = ToyClassification.Model();
        var missing = Assert.Throws<FileNotFoundException>(() => Checkpoint.LoadModule(path, a));
        Assert.Contains(path, missing.Message);

        Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["generator"] = a });
        var noName = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModule(path, a));
        Assert.Contains("no module named 'model'", noName.Message);
        Assert.Contains("generator", noName.Message);

        using var other = nn.Sequential(nn.Flatten(), nn.Linear(8, 5));
        var mismatch = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModule(path, other, "generator"));
        Assert.Contains(path, mismatch.Message);
        Assert.Contains("does not match", mismatch.Message);
    }

    [Fact]
    public void AWriteThatFailsLeavesThePreviousFileAndNoPartialFile()
    {
        string path = NewPath();
        using var good = ToyClassification.Model();
        Checkpoint.Save(path, 1, new Dictionary<string, nn.Module> { ["model"] = good });
        byte[] before = File.ReadAllBytes(path);

        // The writer throws part-way (after the module section, in the optimizer section).
        var failing = new FailingSgd(good.parameters());
        var e = Assert.Throws<IOException>(() => Checkpoint.Save(path, 2,
            new Dictionary<string, nn.Module> { ["model"] = good }, new Dictionary<string, OptimizerHelper> { ["opt"] = failing }));
        Assert.Equal("simulated failure", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
        Assert.Equal(1, Checkpoint.ReadInfo(path).Epoch);

        // The rename itself fails (the target is a folder): the temporary file is removed too.
        string folder = Path.Combine(Path.GetDirectoryName(path)!, "taken");
        Directory.CreateDirectory(folder);
        Assert.ThrowsAny<IOException>(() => Checkpoint.Save(folder, 2, new Dictionary<string, nn.Module> { ["model"] = good }));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    private sealed class FailingSgd(IEnumerable<Parameter> parameters) : SGD(parameters, 0.1, momentum: 0.9)
    {
        public override StateDictionary state_dict() => throw new IOException("simulated failure");
    }
}
