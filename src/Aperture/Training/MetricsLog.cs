using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using TorchSharp;

namespace Aperture.Training;

/// <summary>
/// The run's logs: <c>metrics.jsonl</c> (one JSON object per epoch and split: <c>epoch, split, &lt;metrics&gt;, lr,
/// seconds, images_per_second</c>), rewritten atomically from the history after every epoch so that it always agrees
/// with the last checkpoint, and TensorBoard scalars in <c>tensorboard/</c>.
/// </summary>
internal sealed class MetricsLog
{
    private readonly string _jsonl;
    private readonly TorchSharp.Modules.SummaryWriter? _tensorboard;

    public MetricsLog(string outputDirectory, bool tensorboard)
    {
        _jsonl = Path.Combine(outputDirectory, "metrics.jsonl");
        if (tensorboard) _tensorboard = torch.utils.tensorboard.SummaryWriter(Path.Combine(outputDirectory, "tensorboard"));
    }

    public string JsonlPath => _jsonl;

    public static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The JSON lines of one epoch: a <c>train</c> line and, with validation data, a <c>val</c> line.</summary>
    public static IEnumerable<JsonObject> Lines(EpochSummary s)
    {
        var train = new JsonObject { ["epoch"] = s.Epoch, ["split"] = "train" };
        foreach (var (k, v) in s.Train) train[k] = v;
        foreach (var (name, lr) in s.LearningRates) train[s.LearningRates.Count == 1 ? "lr" : $"lr_{name}"] = lr;
        train["seconds"] = s.Seconds;
        train["images_per_second"] = s.ImagesPerSecond;
        train["examples"] = s.Examples;
        yield return train;
        if (s.Validation.Count == 0) yield break;
        var val = new JsonObject { ["epoch"] = s.Epoch, ["split"] = "val" };
        foreach (var (k, v) in s.Validation) val[k] = v;
        val["seconds"] = s.ValidationSeconds;
        yield return val;
    }

    /// <summary>Rewrites <c>metrics.jsonl</c> from the full history.</summary>
    public void Write(IReadOnlyList<EpochSummary> history)
    {
        var text = new System.Text.StringBuilder();
        foreach (var s in history)
            foreach (var line in Lines(s))
                text.Append(line.ToJsonString(Json)).Append('\n');
        AtomicFile.WriteAllText(_jsonl, text.ToString());
    }

    /// <summary>Adds an epoch's scalars to TensorBoard (step = epoch number).</summary>
    public void Epoch(EpochSummary s)
    {
        if (_tensorboard is null) return;
        foreach (var (k, v) in s.Train) _tensorboard.add_scalar($"train/{k}", (float)v, s.Epoch);
        foreach (var (k, v) in s.Validation) _tensorboard.add_scalar($"val/{k}", (float)v, s.Epoch);
        foreach (var (k, v) in s.LearningRates) _tensorboard.add_scalar($"lr/{k}", (float)v, s.Epoch);
        _tensorboard.add_scalar("train/images_per_second", (float)s.ImagesPerSecond, s.Epoch);
    }

    /// <summary>Adds running training metrics at a global step count.</summary>
    public void Step(int globalStep, IReadOnlyDictionary<string, double> running)
    {
        if (_tensorboard is null) return;
        foreach (var (k, v) in running) _tensorboard.add_scalar($"train_step/{k}", (float)v, globalStep);
    }
}
