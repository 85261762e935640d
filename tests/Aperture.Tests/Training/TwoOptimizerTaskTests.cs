using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Training;

/// <summary>A GAN-shaped task (two modules, two optimizers, two losses) plugs into the same trainer.</summary>
public class TwoOptimizerTaskTests
{
    private sealed class TinyGan : ITrainingTask<Batch>
    {
        private readonly nn.Module<Tensor, Tensor> _g = nn.Sequential(nn.Linear(2, 8), nn.Unflatten(1, [1, 2, 4]));
        private readonly nn.Module<Tensor, Tensor> _d = nn.Sequential(nn.Flatten(), nn.Linear(8, 1));
        private readonly Generator _noise = new Generator(123);

        public TinyGan(TrainingOptions options)
        {
            Modules = new Dictionary<string, nn.Module> { ["generator"] = _g, ["discriminator"] = _d };
            Optimizers =
            [
                OptimizerFactory.Create("generator", _g.parameters(), options with { Optimizer = OptimizerKind.Adam, LearningRate = 2e-3 }),
                OptimizerFactory.Create("discriminator", _d.parameters(), options with { Optimizer = OptimizerKind.Adam, LearningRate = 1e-3 }),
            ];
        }

        public IReadOnlyDictionary<string, nn.Module> Modules { get; }
        public IReadOnlyList<OptimizerSlot> Optimizers { get; }
        public MetricGoal BestBy { get; } = new("g_loss", HigherIsBetter: false);
        public long CountExamples(Batch batch) => batch.Size;

        public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch)
        {
            var (gOpt, dOpt) = (Optimizers[0].Optimizer, Optimizers[1].Optimizer);
            var fake = _g.forward(randn([batch.Size, 2], generator: _noise));
            var real = _d.forward(batch.Images);
            var dLoss = nn.functional.binary_cross_entropy_with_logits(real, ones_like(real))
                      + nn.functional.binary_cross_entropy_with_logits(_d.forward(fake.detach()), zeros_like(real));
            dOpt.zero_grad();
            dLoss.backward();
            dOpt.step();
            var judged = _d.forward(fake);
            var gLoss = nn.functional.binary_cross_entropy_with_logits(judged, ones_like(judged)); // non-saturating
            gOpt.zero_grad();
            gLoss.backward();
            gOpt.step();
            return new Dictionary<string, Tensor> { ["d_loss"] = dLoss, ["g_loss"] = gLoss };
        }

        public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches) => new Dictionary<string, double>();
    }

    [Fact]
    public void BothModulesAndOptimizersAreCheckpointedAndResumed()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        var options = new TrainingOptions { Epochs = 2, OutputDirectory = dir, Progress = ProgressMode.Quiet, TensorBoard = false, LogEvery = 3 };
        var first = new Trainer<Batch>(new TinyGan(options), options).Fit(e => data.Epoch(options.Seed, e));
        Assert.True(first.Succeeded, first.Message);
        Assert.All(first.History, h => Assert.Equal(["d_loss", "g_loss"], h.Train.Keys.Order()));
        Assert.Equal(new Dictionary<string, double> { ["generator"] = 2e-3, ["discriminator"] = 1e-3 }, first.History[0].LearningRates);

        var info = Checkpoint.ReadInfo(first.LastCheckpoint!);
        Assert.Equal(["generator", "discriminator"], info.ModuleNames);
        Assert.Equal(["generator", "discriminator"], info.OptimizerNames);

        var resumedTask = new TinyGan(options);
        var resumed = new Trainer<Batch>(resumedTask, options with { Epochs = 4, Resume = true }).Fit(e => data.Epoch(options.Seed, e));
        Assert.True(resumed.Succeeded, resumed.Message);
        Assert.Equal([1, 2, 3, 4], resumed.History.Select(h => h.Epoch));
        Assert.Equal(first.History[1].Train, resumed.History[1].Train); // history restored from the checkpoint
        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(4, lines.Length);
        Assert.Contains("\"lr_discriminator\":0.001", lines[3]);
    }
}
