using System.Text.Json;
using Aperture.Core;
using Aperture.Data;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Training;

public class TrainerTests
{
    internal static TrainingOptions Options(string dir, int epochs, TextWriter? log = null) => new()
    {
        Epochs = epochs,
        Optimizer = OptimizerKind.Sgd,
        LearningRate = 0.2,
        Momentum = 0.9,
        Schedule = ScheduleKind.Step,
        StepSize = 1,
        Gamma = 0.7,
        Seed = 11,
        OutputDirectory = dir,
        Progress = log is null ? ProgressMode.Quiet : ProgressMode.Lines,
        Log = log,
        LogEvery = 2,
        TensorBoard = false,
    };

    internal static TrainingResult Run(ToyClassification data, nn.Module<Tensor, Tensor> model, TrainingOptions options)
    {
        var task = new ClassificationTask(model, options);
        var trainer = new Trainer<Batch>(task, options);
        return trainer.Fit(epoch => data.Epoch(options.Seed, epoch), () => data.InOrder());
    }

    [Fact]
    public void ClassificationLearnsTheToyProblemAndKeepsLastAndBest()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        var log = new StringWriter();
        using var model = ToyClassification.Model();
        var result = Run(data, model, Options(dir, 6, log) with { Schedule = ScheduleKind.Constant, LearningRate = 0.1 });

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(6, result.EpochsCompleted);
        Assert.Equal(Enumerable.Range(1, 6), result.History.Select(h => h.Epoch));
        Assert.True(result.History[^1].Validation["accuracy"] > 0.8, $"val accuracy {result.History[^1].Validation["accuracy"]}");
        Assert.True(result.History[^1].Train["loss"] < result.History[0].Train["loss"]);
        Assert.Equal(6, Checkpoint.ReadInfo(result.LastCheckpoint!).Epoch);
        var best = Checkpoint.ReadInfo(result.BestCheckpoint!);
        Assert.Equal(result.BestEpoch, best.Epoch);
        Assert.Equal(result.History.Max(h => h.Validation["accuracy"]), result.BestValue);

        // The best checkpoint restores a model that scores the recorded best accuracy.
        using var restored = ToyClassification.Model();
        Checkpoint.LoadModule(result.BestCheckpoint!, restored);
        restored.eval();
        var task = new ClassificationTask(restored, Options(dir, 1));
        Assert.Equal(result.BestValue!.Value, task.Evaluate(data.InOrder())["accuracy"], 1e-6);

        string text = log.ToString();
        Assert.Contains("epoch 6/6", text);
        Assert.Contains("img/s", text);
    }

    [Fact]
    public void ResumeWithoutACheckpointNamesTheMissingFile()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        using var model = ToyClassification.Model();
        var e = Assert.Throws<FileNotFoundException>(() => Run(data, model, Options(dir, 2) with { Resume = true }));
        Assert.Contains(Path.Combine(dir, "checkpoints", "last.ckpt"), e.Message);
        Assert.Contains("cannot resume", e.Message);
    }

    [Fact]
    public void ResumeFromACorruptCheckpointFailsWithTheFileNameAndLeavesTheModelUntouched()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        using (var model = ToyClassification.Model()) Run(data, model, Options(dir, 1));
        string last = Path.Combine(dir, "checkpoints", "last.ckpt");
        var bytes = File.ReadAllBytes(last);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(last, bytes);

        using var fresh = ToyClassification.Model();
        var before = ToyClassification.Weights(fresh);
        var e = Assert.Throws<InvalidDataException>(() => Run(data, fresh, Options(dir, 2) with { Resume = true }));
        Assert.Contains(last, e.Message);
        Assert.Contains("corrupt", e.Message);
        Assert.Equal(before, ToyClassification.Weights(fresh));
    }

    [Fact]
    public void NonFiniteLossStopsCleanlyAndKeepsTheLastGoodCheckpoint()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        string last = Path.Combine(dir, "checkpoints", "last.ckpt");
        byte[]? afterEpoch1 = null;
        var options = Options(dir, 4) with { LogEvery = 1 };
        using var model = ToyClassification.Model();
        var task = new ClassificationTask(model, options);
        var result = new Trainer<Batch>(task, options).Fit(epoch =>
        {
            if (epoch == 2) afterEpoch1 = File.ReadAllBytes(last);
            // Epoch 2, third batch (step 3): NaN pixels give a NaN loss.
            return data.Epoch(options.Seed, epoch, tamper: (b, batch) =>
                epoch == 2 && b == 2 ? new Batch(full_like(batch.Images, double.NaN), batch.Labels) : batch);
        }, () => data.InOrder());

        Assert.False(result.Succeeded);
        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("loss became NaN at epoch 2, step 3", result.Message);
        Assert.Contains(last, result.Message);
        Assert.Equal(1, result.EpochsCompleted);
        Assert.NotNull(afterEpoch1);
        Assert.Equal(afterEpoch1, File.ReadAllBytes(last));
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")), l => l.Contains("\"train\""));
        Assert.Contains(ToyClassification.Weights(model), float.IsNaN);
    }

    [Fact]
    public void NonFiniteLossBetweenChecksNamesTheStepRange()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        var options = Options(dir, 2) with { LogEvery = 4 };
        using var model = ToyClassification.Model();
        var result = new Trainer<Batch>(new ClassificationTask(model, options), options).Fit(epoch =>
            data.Epoch(options.Seed, epoch, tamper: (b, batch) =>
                b == 5 ? new Batch(full_like(batch.Images, double.PositiveInfinity), batch.Labels) : batch));
        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.Contains("at epoch 1, a step between 5 and 6", result.Message);
        Assert.Contains("no checkpoint", result.Message);
        Assert.Null(result.LastCheckpoint);
    }

    [Fact]
    public void MetricsJsonLinesParseAndTensorBoardWritesEvents()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        using var model = ToyClassification.Model();
        var result = Run(data, model, Options(dir, 3) with { TensorBoard = true });
        Assert.True(result.Succeeded, result.Message);

        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(6, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var root = doc.RootElement;
            Assert.Equal(i / 2 + 1, root.GetProperty("epoch").GetInt32());
            Assert.Equal(i % 2 == 0 ? "train" : "val", root.GetProperty("split").GetString());
            Assert.InRange(root.GetProperty("loss").GetDouble(), 0, 10);
            Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0, 1);
            Assert.True(root.GetProperty("seconds").GetDouble() >= 0);
            if (i % 2 == 0)
            {
                Assert.Equal(0.2 * Math.Pow(0.7, i / 2), root.GetProperty("lr").GetDouble(), 12);
                Assert.True(root.GetProperty("images_per_second").GetDouble() > 0);
                Assert.Equal(data.Count, root.GetProperty("examples").GetInt64());
            }
        }
        var events = Directory.GetFiles(Path.Combine(dir, "tensorboard"), "events.out.tfevents.*");
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 100);
    }

    [Fact]
    public void LiveTensorCountStaysFlatOverEpochs()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        using var model = ToyClassification.Model();
        var options = Options(dir, 7) with { TensorBoard = true, LogEvery = 3 };
        var task = new ClassificationTask(model, options);
        var live = new List<long>();
        var result = new Trainer<Batch>(task, options).Fit(epoch =>
        {
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            return data.Epoch(options.Seed, epoch);
        }, () => data.InOrder());
        live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        Assert.True(result.Succeeded, result.Message);
        // Epoch 1 creates the momentum buffers; from then on the count must not move.
        Assert.All(live.Skip(2), n => Assert.Equal(live[1], n));
    }

    [Fact]
    public void ATaskMustReportTheMetricItPicksTheBestEpochBy()
    {
        using var data = new ToyClassification();
        using var model = ToyClassification.Model();
        var options = Options(ToyClassification.TempDir(), 1);
        var task = new RenamedBest(new ClassificationTask(model, options));
        var e = Assert.Throws<InvalidOperationException>(() => new Trainer<Batch>(task, options).Fit(ep => data.Epoch(1, ep)));
        Assert.Contains("'f1'", e.Message);
    }

    private sealed class RenamedBest(ClassificationTask inner) : ITrainingTask<Batch>
    {
        public IReadOnlyDictionary<string, nn.Module> Modules => inner.Modules;
        public IReadOnlyList<OptimizerSlot> Optimizers => inner.Optimizers;
        public MetricGoal BestBy => new("f1", true);
        public long CountExamples(Batch batch) => inner.CountExamples(batch);
        public IReadOnlyDictionary<string, Tensor> TrainStep(Batch batch) => inner.TrainStep(batch);
        public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<Batch> batches) => inner.Evaluate(batches);
    }
}
