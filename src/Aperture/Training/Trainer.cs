using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// Drives an <see cref="ITrainingTask{TBatch}"/> for a number of epochs: one dispose scope per step, metrics
/// accumulated on tensors and read only every <see cref="TrainingOptions.LogEvery"/> steps, a NaN/inf check at those
/// reads and at the end of each epoch, validation, learning-rate schedule, an atomic checkpoint per epoch
/// (<c>last.ckpt</c>, and <c>best.ckpt</c> by the task's <see cref="ITrainingTask{TBatch}.BestBy"/> metric),
/// <c>metrics.jsonl</c>, TensorBoard, and console progress. <see cref="TrainingOptions.Resume"/> continues from
/// <c>last.ckpt</c>.
/// </summary>
/// <typeparam name="TBatch">The task's mini-batch type.</typeparam>
public sealed class Trainer<TBatch>
{
    private readonly ITrainingTask<TBatch> _task;
    private readonly TrainingOptions _options;

    /// <summary>Creates a trainer; nothing runs until <see cref="Fit"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or module/optimizer names are empty or repeated.</exception>
    public Trainer(ITrainingTask<TBatch> task, TrainingOptions options)
    {
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        var names = task.Optimizers.Select(o => o.Name).ToList();
        if (names.Any(string.IsNullOrWhiteSpace) || names.Distinct().Count() != names.Count)
            throw new ArgumentException($"optimizer names must be non-empty and distinct (got: {string.Join(", ", names)})");
        if (task.Modules.Count == 0) throw new ArgumentException("the task has no module to train");
    }

    /// <summary>Folder of the checkpoints: <c>&lt;out&gt;/checkpoints</c>.</summary>
    public string CheckpointDirectory => Path.Combine(_options.OutputDirectory, "checkpoints");

    /// <summary>The checkpoint of the last completed epoch (what <see cref="TrainingOptions.Resume"/> reads).</summary>
    public string LastCheckpointPath => Path.Combine(CheckpointDirectory, "last.ckpt");

    /// <summary>The checkpoint of the best epoch so far.</summary>
    public string BestCheckpointPath => Path.Combine(CheckpointDirectory, "best.ckpt");

    /// <summary>The metrics log, <c>&lt;out&gt;/metrics.jsonl</c>.</summary>
    public string MetricsPath => Path.Combine(_options.OutputDirectory, "metrics.jsonl");

    /// <summary>
    /// Trains from epoch 1 (or, with <see cref="TrainingOptions.Resume"/>, from the epoch after the last checkpoint)
    /// up to <see cref="TrainingOptions.Epochs"/>.
    /// </summary>
    /// <param name="trainBatches">Training batches of an epoch, given its 1-based number (seed the shuffle with
    /// (seed, epoch) so a resumed run sees the same order). The trainer enumerates it inside each step's dispose
    /// scope and disposes every batch after its step: yield fresh tensors, as a loader does. Tensors the enumerator
    /// keeps across batches (a dataset tensor) must exist before enumeration starts, or be detached from dispose scopes,
    /// since whatever <c>MoveNext</c> creates on this thread belongs to the current step.</param>
    /// <param name="validationBatches">Validation batches, enumerated once per epoch (null for none).</param>
    /// <param name="stepsPerEpoch">Batches in an epoch when the source knows it (a loader's
    /// <see cref="Data.Loading.DataLoader.BatchesPerEpoch"/>, a sampler's <see cref="Data.Loading.EpochSampler.BatchCount"/>),
    /// so the progress bar shows the true fraction and remaining time from the first epoch on. Null: a counted
    /// collection's count, else unknown for the first epoch (a spinner and a count) and the last epoch's count after.</param>
    /// <returns>Completed, or diverged (NaN/inf) with a message naming the epoch, step and value; the last good
    /// checkpoint is then left untouched.</returns>
    /// <exception cref="FileNotFoundException">Resume was asked for and the last checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is damaged or does not match the task.</exception>
    public TrainingResult Fit(Func<int, IEnumerable<TBatch>> trainBatches, Func<IEnumerable<TBatch>>? validationBatches = null, long? stepsPerEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(trainBatches);
        OutputFolder.Create(_options.OutputDirectory);
        // A kill during a checkpoint write leaves its temporary file; nothing will ever finish it.
        AtomicFile.RemoveStaleTemps(CheckpointDirectory);
        AtomicFile.RemoveStaleTemps(_options.OutputDirectory);
        var state = _options.Resume ? Restore() : new RunState();
        var log = new MetricsLog(_options.OutputDirectory, _options.TensorBoard);
        log.Write(state.History);
        using var progress = _options.Sink is { } sink ? ProgressReporter.From(sink.Log) : ProgressReporter.Create(_options.Progress, _options.Log);
        if (_options.Resume) CarryCard(state, progress);
        return Loop(state, trainBatches, validationBatches, stepsPerEpoch, log, progress);
    }

    private TrainingResult Loop(RunState state, Func<int, IEnumerable<TBatch>> trainBatches, Func<IEnumerable<TBatch>>? validationBatches,
        long? stepsPerEpoch, MetricsLog log, IProgressSink progress)
    {
        int epochs = _options.Epochs;
        int start = state.Epoch + 1;
        if (start > 1) progress.Message($"resuming from {LastCheckpointPath} after epoch {state.Epoch}");
        long? stepsHint = stepsPerEpoch;
        string stoppedEarly = "";
        for (int epoch = start; epoch <= epochs; epoch++)
        {
            Torch.Seed(EpochSeed(_options.Seed, epoch));
            foreach (var m in _task.Modules.Values) m.train();
            var learningRates = _task.Optimizers.ToDictionary(o => o.Name, o => o.LearningRate);

            var batches = trainBatches(epoch);
            if (stepsPerEpoch is null && batches.TryGetNonEnumeratedCount(out int known)) stepsHint = known;
            using var bar = progress.Start($"epoch {epoch}/{epochs}", stepsHint, "img");
            var pass = TrainEpoch(epoch, batches, log, bar, ref state.GlobalStep);
            if (pass.Divergence is string divergence)
            {
                bar.Dispose();
                string kept = state.Epoch > 0
                    ? $"the last good checkpoint (epoch {state.Epoch}) is unchanged: {Path.GetFullPath(LastCheckpointPath)}"
                    : "no checkpoint had been written yet";
                string message = $"training stopped: {divergence}; {kept}";
                progress.Message(message);
                return Result(TrainingStatus.Diverged, message, state);
            }
            if (stepsPerEpoch is null) stepsHint = pass.Steps;
            bar.SetTotal(pass.Steps);

            IReadOnlyDictionary<string, double> validation = new Dictionary<string, double>();
            double validationSeconds = 0;
            if (validationBatches is not null)
            {
                var clock = Stopwatch.StartNew();
                bar.Status("validating");
                foreach (var m in _task.Modules.Values) m.eval();
                using (no_grad()) validation = _task.Evaluate(validationBatches());
                validationSeconds = clock.Elapsed.TotalSeconds;
            }

            var summary = new EpochSummary(epoch, pass.Means, validation, learningRates, pass.Examples, pass.Seconds,
                pass.Examples / Math.Max(pass.Seconds, 1e-9), validationSeconds);
            state.History.Add(summary);
            state.Epoch = epoch;
            foreach (var slot in _task.Optimizers) slot.Scheduler?.step();

            bool improved = UpdateBest(state, summary);
            SaveCheckpoints(state, improved);
            log.Write(state.History);
            log.Epoch(summary);
            bar.Done(TrainingProgress.EpochLine(summary, epochs));
            ReleaseEpochGarbage();
            if (_options.Patience > 0 && epoch < epochs && state.BestEpoch is int best && epoch - best >= _options.Patience)
            {
                stoppedEarly = $"; stopped early: {_task.BestBy.Metric} has not improved for {epoch - best} epochs since epoch {best}";
                progress.Message($"early stop after epoch {epoch}: {_task.BestBy.Metric} best at epoch {best}");
                break;
            }
        }
        string done = state.Epoch >= start
            ? $"trained epochs {start}-{state.Epoch}{stoppedEarly}; checkpoints in {Path.GetFullPath(CheckpointDirectory)}"
            : $"nothing to do: the checkpoint already holds epoch {state.Epoch} of {epochs}";
        return Result(TrainingStatus.Completed, done, state);
    }

    /// <summary>
    /// Frees what the epoch left for the garbage collector, so that a run's memory is flat however many epochs it has.
    /// Measured (bench <c>memory</c>): without it, LeNet-5's resident set grew 3–4 MB per epoch, the managed heap 2.8 MB,
    /// freed only when the GC eventually ran a full collection every 20 or so epochs. What it held: the checkpoints'
    /// serialisation buffers (over 85 KB, so on the large object heap, which only a full collection frees) and tensors
    /// whose wrappers were dropped without Dispose (freed by their finalizers). One blocking full collection at the end
    /// of an epoch, after its checkpoints, costs milliseconds against the epoch's seconds and keeps the line flat.
    /// </summary>
    private static void ReleaseEpochGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private readonly record struct EpochPass(IReadOnlyDictionary<string, double> Means, long Examples, double Seconds, int Steps, string? Divergence);

    private EpochPass TrainEpoch(int epoch, IEnumerable<TBatch> batches, MetricsLog log, IProgressTask bar, ref int globalStep)
    {
        using var epochScope = NewDisposeScope();
        var sums = new Dictionary<string, Tensor>();
        long examples = 0;
        int step = 0, checkedUpTo = 0;
        var clock = Stopwatch.StartNew();
        using var e = batches.GetEnumerator();
        while (true)
        {
            long n;
            using (var scope = NewDisposeScope())
            {
                if (!e.MoveNext()) break;
                var batch = e.Current;
                try
                {
                    n = _task.CountExamples(batch);
                    foreach (var (name, value) in _task.TrainStep(batch))
                    {
                        if (!sums.TryGetValue(name, out var sum))
                            sums[name] = sum = zeros([], ScalarType.Float64, value.device).MoveToOuterDisposeScope();
                        sum.add_(value.detach(), alpha: n);
                    }
                    examples += n;
                }
                finally
                {
                    (batch as IDisposable)?.Dispose();
                }
            }
            step++;
            globalStep++;
            bar.Advance(1, n);
            if (step % _options.LogEvery == 0)
            {
                var running = Means(sums, examples);
                if (NonFinite(running, epoch, checkedUpTo, step) is string bad)
                    return new EpochPass(running, examples, clock.Elapsed.TotalSeconds, step, bad);
                checkedUpTo = step;
                bar.Status(TrainingProgress.Metrics(running));
                log.Step(globalStep, running);
            }
        }
        var means = Means(sums, examples);
        double seconds = clock.Elapsed.TotalSeconds;
        if (step == 0)
            throw new InvalidOperationException($"epoch {epoch}: the training data yielded no batch");
        return new EpochPass(means, examples, seconds, step, NonFinite(means, epoch, checkedUpTo, step));
    }

    private static Dictionary<string, double> Means(Dictionary<string, Tensor> sums, long examples) =>
        sums.ToDictionary(kv => kv.Key, kv => kv.Value.item<double>() / Math.Max(examples, 1));

    private static string? NonFinite(IReadOnlyDictionary<string, double> running, int epoch, int checkedUpTo, int step)
    {
        foreach (var (name, value) in running)
        {
            if (double.IsFinite(value)) continue;
            string where = step - checkedUpTo == 1 ? $"step {step}" : $"a step between {checkedUpTo + 1} and {step}";
            return $"{name} became {value.ToString(CultureInfo.InvariantCulture)} at epoch {epoch}, {where}";
        }
        return null;
    }

    /// <summary>The seed of libtorch's generator at the start of an epoch: a function of (seed, epoch) only.</summary>
    internal static long EpochSeed(long seed, int epoch) => unchecked(seed * 1_000_003L + epoch);

    private bool UpdateBest(RunState state, EpochSummary summary)
    {
        var goal = _task.BestBy;
        var source = summary.Validation.Count > 0 ? summary.Validation : summary.Train;
        if (!source.TryGetValue(goal.Metric, out double value))
            throw new InvalidOperationException(
                $"the task picks the best epoch by '{goal.Metric}', which it does not report (it reports: {string.Join(", ", source.Keys)})");
        if (!goal.IsBetter(value, state.BestValue)) return false;
        state.BestValue = value;
        state.BestEpoch = summary.Epoch;
        return true;
    }

    private void SaveCheckpoints(RunState state, bool improved)
    {
        var metadata = new JsonObject
        {
            ["history"] = JsonSerializer.SerializeToNode(state.History, MetricsLog.Json),
            ["best_metric"] = _task.BestBy.Metric,
            ["best_epoch"] = state.BestEpoch,
            ["best_value"] = state.BestValue,
            ["global_step"] = state.GlobalStep,
            ["seed"] = _options.Seed,
            [ModelCard.MetadataKey] = _options.Card?.ToJson(),
        };
        var optimizers = _task.Optimizers.ToDictionary(o => o.Name, o => o.Optimizer);
        Checkpoint.Save(LastCheckpointPath, state.Epoch, _task.Modules, optimizers, metadata);
        if (improved) CopyAtomically(LastCheckpointPath, BestCheckpointPath);
        if (_options.KeepEveryEpoch)
            CopyAtomically(LastCheckpointPath, Path.Combine(CheckpointDirectory, $"epoch-{state.Epoch:D4}.ckpt"));
    }

    private static void CopyAtomically(string from, string to) =>
        AtomicFile.Write(to, s => { using var src = File.OpenRead(from); src.CopyTo(s); });

    /// <summary>
    /// A resumed run whose options changed (<c>--set</c>) writes its card into its checkpoints now, not at its next epoch:
    /// a run with no epoch left still runs its later stages (R-CNN's SVMs) and is tested with these options, and a model
    /// loaded from the folder must be rebuilt with them.
    /// </summary>
    private void CarryCard(RunState state, IProgressSink progress)
    {
        if (_options.Card is not { } card) return;
        var now = card.ToJson();
        var before = state.RestoredCard;
        if (JsonNode.DeepEquals(before?.ToJson(), now)) return;
        foreach (string file in new[] { LastCheckpointPath, BestCheckpointPath }.Where(File.Exists))
            Checkpoint.SetMetadata(file, ModelCard.MetadataKey, now);
        progress.Message($"resumed with a changed model card ({string.Join(", ", ModelCard.Changes(before, card))}); the checkpoints' cards now say so");
    }

    private RunState Restore()
    {
        string path = Path.GetFullPath(LastCheckpointPath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"cannot resume: checkpoint '{path}' does not exist (run without --resume to start a new run)", path);
        var optimizers = _task.Optimizers.ToDictionary(o => o.Name, o => o.Optimizer);
        var info = Checkpoint.Load(path, _task.Modules, optimizers);
        var state = new RunState { Epoch = info.Epoch, RestoredCard = ModelCard.Find(info) };
        try
        {
            var history = info.Metadata["history"]?.Deserialize<List<EpochSummary>>(MetricsLog.Json);
            if (history is not null) state.History.AddRange(history.Where(h => h.Epoch <= info.Epoch));
            state.BestEpoch = info.Metadata["best_epoch"]?.GetValue<int>();
            state.BestValue = info.Metadata["best_value"]?.GetValue<double>();
            state.GlobalStep = info.Metadata["global_step"]?.GetValue<int>() ?? 0;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"checkpoint '{path}' has an unreadable training history: {e.Message}", e);
        }
        // Per-epoch schedulers: position = completed epochs (closed form), matching the saved learning rate.
        foreach (var slot in _task.Optimizers) slot.Scheduler?.step(info.Epoch);
        return state;
    }

    private TrainingResult Result(TrainingStatus status, string message, RunState state) => new(
        status, message, state.Epoch, state.History.ToList(),
        state.Epoch > 0 ? Path.GetFullPath(LastCheckpointPath) : null,
        state.BestEpoch is not null ? Path.GetFullPath(BestCheckpointPath) : null,
        state.BestEpoch, state.BestValue);

    private sealed class RunState
    {
        public int Epoch;
        public int GlobalStep;
        public int? BestEpoch;
        public double? BestValue;
        public ModelCard? RestoredCard;   // the card of the checkpoint resumed from
        public List<EpochSummary> History { get; } = [];
    }
}
