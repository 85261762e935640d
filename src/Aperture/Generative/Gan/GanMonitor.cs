using System.Text.Json;
using Aperture.Core;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// Watches GAN training epoch by epoch: at the end of each epoch it draws the same fixed noise through the generator
/// (the moving average when on) into <c>samples/epoch-NNNN.png</c>, measures the samples' diversity against a fixed
/// set of real images, appends the epoch's <see cref="GanEpochStats"/> to <c>samples/health.jsonl</c>, and runs
/// <see cref="GanHealth.Check"/>, writing a failure to the progress log the moment it is established. Hooked in by
/// wrapping each epoch's batches (<see cref="Watch"/>), so the trainer needs no callback. Sampling uses a private
/// generator and eval-mode batch norm, so it does not change what training draws or learns: a watched run and a
/// resumed run end with the same weights.
/// </summary>
public sealed class GanMonitor
{
    private readonly GanTask _task;
    private readonly GanSampler _sampler;
    private readonly Tensor _z;
    private readonly Tensor? _labels;
    private readonly double _realDiversity;
    private readonly int _columns;
    private readonly TextWriter? _log;
    private readonly List<GanEpochStats> _history = [];

    /// <summary>Creates the monitor.</summary>
    /// <param name="task">The training task (its epoch means and sample generator).</param>
    /// <param name="classNames">Class names.</param>
    /// <param name="realImages">Real images <c>[M, 1, 28, 28]</c> in [0, 1] (M ≥ 2), the diversity reference.</param>
    /// <param name="outputDirectory">The run folder; grids go to its <c>samples/</c>.</param>
    /// <param name="seed">Seed of the fixed noise.</param>
    /// <param name="log">Where to say a failure (null: nowhere, it is still returned and recorded).</param>
    /// <param name="resumeAfter">When resuming: the epoch the checkpoint holds; earlier statistics are read back from
    /// <c>samples/health.jsonl</c> (later lines are dropped), else 0.</param>
    public GanMonitor(GanTask task, IReadOnlyList<string> classNames, Tensor realImages, string outputDirectory, long seed, TextWriter? log = null, int resumeAfter = 0)
    {
        _task = task ?? throw new ArgumentNullException(nameof(task));
        _sampler = new GanSampler(task.SampleGenerator, classNames);
        _log = log;
        SamplesDirectory = OutputFolder.Create(Path.Combine(outputDirectory, "samples"));
        int k = task.Generator.Classes;
        _columns = 8;
        // Fixed noise; conditional: one row per class with the same 8 latents down the columns.
        var z = _sampler.Latents(8 * (k > 0 ? 1 : 8), seed);
        _z = (k > 0 ? z.repeat(k, 1) : z).DetachFromDisposeScope();
        _labels = k > 0 ? arange(k, ScalarType.Int64).repeat_interleave(8).DetachFromDisposeScope() : null;
        _realDiversity = GanHealth.Diversity(realImages);
        if (resumeAfter > 0 && File.Exists(HealthPath))
            _history.AddRange(File.ReadAllLines(HealthPath).Where(l => l.Length > 0)
                .Select(l => JsonSerializer.Deserialize<GanEpochStats>(l, Compact)!).Where(s => s.Epoch <= resumeAfter));
        File.WriteAllLines(HealthPath, _history.Select(s => JsonSerializer.Serialize(s, Compact)));
    }

    private static readonly JsonSerializerOptions Compact = new(RunResults.Json) { WriteIndented = false, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The folder of the per-epoch grids.</summary>
    public string SamplesDirectory { get; }

    /// <summary><c>samples/health.jsonl</c>: one <see cref="GanEpochStats"/> per line.</summary>
    public string HealthPath => Path.Combine(SamplesDirectory, "health.jsonl");

    /// <summary>Statistics of every epoch so far.</summary>
    public IReadOnlyList<GanEpochStats> History => _history;

    /// <summary>The verdict so far (<see cref="GanHealth.Check"/> of <see cref="History"/>).</summary>
    public GanHealthVerdict Verdict => GanHealth.Check(_history);

    /// <summary>The grid of an epoch.</summary>
    public string GridPath(int epoch) => Path.Combine(SamplesDirectory, $"epoch-{epoch:D4}.png");

    /// <summary>Yields an epoch's batches, then runs <see cref="EndEpoch"/>.</summary>
    public IEnumerable<T> Watch<T>(int epoch, IEnumerable<T> batches)
    {
        foreach (var b in batches) yield return b;
        EndEpoch(epoch);
    }

    /// <summary>Writes the epoch's grid, records its statistics and checks the run's health.</summary>
    /// <returns>The epoch's statistics.</returns>
    public GanEpochStats EndEpoch(int epoch)
    {
        var (dLoss, gLoss, dReal, dFake) = _task.TakeEpochMeans();
        bool wasTraining = _sampler.Generator.training;
        double diversity;
        using (var scope = NewDisposeScope())
        {
            var images = _sampler.Generate(_z, _labels);
            if (wasTraining) _sampler.Generator.train();
            diversity = GanHealth.Diversity(images) / Math.Max(_realDiversity, 1e-12);
            ImageTensor.Write(GridPath(epoch), ImageGrid.Tile(images, _columns, padding: 2, scale: 2));
        }
        var stats = new GanEpochStats(epoch, dLoss, gLoss, dReal, dFake, diversity);
        bool wasHealthy = Verdict.Status == GanHealthStatus.Healthy;
        _history.Add(stats);
        File.AppendAllLines(HealthPath, [JsonSerializer.Serialize(stats, Compact)]);
        var verdict = Verdict;
        if (wasHealthy && verdict.Status != GanHealthStatus.Healthy) _log?.WriteLine($"WARNING: {verdict.Message}");
        return stats;
    }
}
