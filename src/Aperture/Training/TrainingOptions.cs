using Aperture.Core;
namespace Aperture.Training;

/// <summary>
/// Settings of a training run, as the CLI's options give them (<c>--epochs --optimizer --lr --momentum --nesterov
/// --weight-decay --schedule --step-size --gamma --warmup --seed --out --resume</c>). A record, so one run can derive
/// variants (<c>options with { LearningRate = 2e-4 }</c>) e.g. for a GAN's second optimizer.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Total number of epochs (a resumed run continues up to this number).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Optimizer to build (<see cref="OptimizerFactory"/>).</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>SGD momentum (0 for plain SGD).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Nesterov momentum for SGD (needs momentum &gt; 0).</summary>
    public bool Nesterov { get; init; }

    /// <summary>Weight decay (L2 for SGD and Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Adam/AdamW first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam/AdamW second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Per-epoch learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>For <see cref="ScheduleKind.Step"/>: epochs between decays.</summary>
    public int StepSize { get; init; } = 10;

    /// <summary>For <see cref="ScheduleKind.Step"/>: decay factor.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Early stopping: end training once this many epochs in a row have not improved the task's
    /// <see cref="ITrainingTask{TBatch}.BestBy"/> metric (0: never; the best checkpoint is kept either way).</summary>
    public int Patience { get; init; }

    /// <summary>Epochs of linear warm-up from LR/warmup to LR before the schedule starts (0 for none).</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>Seed: the trainer reseeds libtorch at the start of every epoch from (seed, epoch), so that a resumed
    /// run draws the same random numbers (dropout, augmentation on torch's generator) as an uninterrupted one.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Output folder: <c>checkpoints/last.ckpt</c>, <c>checkpoints/best.ckpt</c>, <c>metrics.jsonl</c>, <c>tensorboard/</c>.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("runs", "train");

    /// <summary>Resume from <c>checkpoints/last.ckpt</c> in <see cref="OutputDirectory"/>, continuing with the next epoch.</summary>
    public bool Resume { get; init; }

    /// <summary>Console reporting.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Every this many steps the running metrics are read (the only per-step host sync), checked for
    /// NaN/inf and reported. 1 checks every step and names the exact failing step.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Write TensorBoard event files into <c>tensorboard/</c>.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Also keep <c>checkpoints/epoch-NNNN.ckpt</c> for every epoch (besides <c>last</c> and <c>best</c>).</summary>
    public bool KeepEveryEpoch { get; init; }

    /// <summary>What the run trains (family, method, classes, input normalisation, settings), stored in every
    /// checkpoint's header so a later <c>eval</c>, <c>predict</c> or <c>detect</c> can rebuild the model from the file alone.</summary>
    public Core.ModelCard? Card { get; init; }

    /// <summary>Where <see cref="ProgressMode.Lines"/> output goes (default: <see cref="Console.Out"/>). A sink's
    /// <see cref="Core.IProgressSink.Log"/> makes the trainer report into that sink.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>The progress sink to report into (shared with the caller, not disposed); when set, it replaces
    /// <see cref="Progress"/> and <see cref="Log"/>.</summary>
    public Core.IProgressSink? Sink { get; init; }

    /// <summary>Checks the values and throws one <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"--epochs must be >= 1 (got {Epochs})");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"--lr must be a positive number (got {LearningRate})");
        if (Momentum < 0 || Momentum >= 1) throw new ArgumentException($"--momentum must be in [0, 1) (got {Momentum})");
        if (Nesterov && (Optimizer != OptimizerKind.Sgd || Momentum <= 0)) throw new ArgumentException("--nesterov needs --optimizer sgd and --momentum > 0");
        if (WeightDecay < 0) throw new ArgumentException($"--weight-decay must be >= 0 (got {WeightDecay})");
        if (Beta1 < 0 || Beta1 >= 1 || Beta2 < 0 || Beta2 >= 1) throw new ArgumentException($"Adam betas must be in [0, 1) (got {Beta1}, {Beta2})");
        if (StepSize < 1) throw new ArgumentException($"--step-size must be >= 1 (got {StepSize})");
        if (!(Gamma > 0)) throw new ArgumentException($"--gamma must be > 0 (got {Gamma})");
        if (Patience < 0) throw new ArgumentException($"--patience must be >= 0 (got {Patience})");
        if (WarmupEpochs < 0) throw new ArgumentException($"--warmup must be >= 0 (got {WarmupEpochs})");
        if (LogEvery < 1) throw new ArgumentException($"--log-every must be >= 1 (got {LogEvery})");
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw new ArgumentException("--out must name a folder");
    }

    /// <summary>Parses an optimizer name: <c>sgd</c>, <c>adam</c> or <c>adamw</c> (case-insensitive).</summary>
    public static OptimizerKind ParseOptimizer(string name) => name.Trim().ToLowerInvariant() switch
    {
        "sgd" => OptimizerKind.Sgd,
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        _ => throw new ArgumentException($"optimizer '{name}' is not one of: sgd, adam, adamw"),
    };

    /// <summary>Parses a schedule name: <c>constant</c>, <c>step</c> or <c>cosine</c> (case-insensitive).</summary>
    public static ScheduleKind ParseSchedule(string name) => name.Trim().ToLowerInvariant() switch
    {
        "constant" => ScheduleKind.Constant,
        "step" => ScheduleKind.Step,
        "cosine" => ScheduleKind.Cosine,
        _ => throw new ArgumentException($"schedule '{name}' is not one of: constant, step, cosine"),
    };
}
