using System.Diagnostics;
using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>What a density run is asked to do. Unset values come from the model's recipe for <see cref="Budget"/>.</summary>
public sealed record DensitySettings
{
    /// <summary>Model name, one of <see cref="DensityModels.Names"/>.</summary>
    public required string Model { get; init; }

    /// <summary>Run folder: checkpoint, figures and <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of the split, the dequantisation noise, initialisation and samples.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Which recipe to start from.</summary>
    public RunBudget Budget { get; init; } = RunBudget.Default;

    /// <summary>Changes to the method's options, <c>name=value</c> (the CLI's <c>--set</c>).</summary>
    public IReadOnlyList<string> Assignments { get; init; } = [];

    /// <summary>Epochs, or null for the recipe's.</summary>
    public int? Epochs { get; init; }

    /// <summary>Mini-batch size, or null for the recipe's.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Learning rate, or null for the recipe's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Training examples used (0: all left after the hold-out).</summary>
    public int Limit { get; init; }

    /// <summary>Test examples scored, the first ones of the test set (0: all).</summary>
    public int TestLimit { get; init; }

    /// <summary>Training images held out for validation (at most a tenth).</summary>
    public int Validation { get; init; } = 5000;

    /// <summary>A folder holding the Fashion-MNIST files, or null to search.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>The recipe with the overrides applied, validated.</summary>
    /// <exception cref="ArgumentException">The first bad setting.</exception>
    public DensityRecipe Recipe()
    {
        var method = DensityModels.Find(Model);
        var r = method.Recipe(Budget).With(Assignments);
        r = r with { Epochs = Epochs ?? r.Epochs, BatchSize = BatchSize ?? r.BatchSize, LearningRate = LearningRate ?? r.LearningRate };
        if (r.Epochs < 1) throw new ArgumentException($"--epochs must be >= 1 (got {r.Epochs})");
        if (r.BatchSize < 1) throw new ArgumentException($"--batch-size must be >= 1 (got {r.BatchSize})");
        if (!(r.LearningRate > 0)) throw new ArgumentException($"--lr must be > 0 (got {r.LearningRate})");
        if (Limit < 0 || TestLimit < 0 || Validation < 1) throw new ArgumentException($"--limit and --test-limit must be >= 0 and --validation >= 1");
        switch (r.Options)
        {
            case PpcaOptions p: p.Validate(); break;
            case KdeOptions k: k.Validate(); break;
            case VaeOptions v: v.Validate(); break;
            case DensityNetworkOptions d: d.Validate(); break;
        }
        return r;
    }
}

/// <summary>What a density run measured, as written to <c>results.json</c>.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Description">What it is, with its paper.</param>
/// <param name="Data">Which data the likelihood is on (<c>dequantised</c> or <c>binarised</c>).</param>
/// <param name="Source">Where the images came from.</param>
/// <param name="TrainExamples">Training examples.</param>
/// <param name="ValidationExamples">Held-out examples.</param>
/// <param name="TestExamples">Test examples scored.</param>
/// <param name="TestLogLikelihood">Mean test log-likelihood in nats per image.</param>
/// <param name="TestLogLikelihoodStdError">Its standard error over the test images.</param>
/// <param name="BitsPerDimension">The same in bits per dimension of the 8-bit (or binary) data.</param>
/// <param name="Estimator">How the log-likelihood is computed (exact, or the estimate and its sample count).</param>
/// <param name="FitSeconds">Fitting or training time.</param>
/// <param name="ScoreSeconds">Time to score the test examples.</param>
/// <param name="Epochs">Epochs trained (0 for closed-form models).</param>
/// <param name="Settings">The options record it was fitted with.</param>
/// <param name="Checkpoint">The checkpoint holding the model.</param>
/// <param name="Figures">Its pictures.</param>
public sealed record DensityResults(string Model, string Description, string Data, string Source, long TrainExamples, long ValidationExamples, long TestExamples,
    double TestLogLikelihood, double TestLogLikelihoodStdError, double BitsPerDimension, string Estimator, double FitSeconds, double ScoreSeconds, int Epochs,
    JsonObject Settings, string Checkpoint, DensityFigures Figures);

/// <summary>
/// The density run, written once for <c>aperture train density</c> and the report's chapter: prepare the model's kind of
/// data (or take data given), fit, score the test examples in nats, draw samples and reconstructions, write
/// <c>results.json</c>.
/// </summary>
public static class DensityRun
{
    /// <summary>Runs it.</summary>
    /// <param name="settings">What to fit and where.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="data">Data already prepared (the comparison shares it across models), or null to load it; not disposed.</param>
    /// <returns>The fitted model and its results.</returns>
    /// <exception cref="ArgumentException">A bad setting, or data of the wrong kind for the model.</exception>
    /// <exception cref="TrainingStoppedException">Training diverged.</exception>
    public static (FittedDensity Fitted, DensityResults Results) Execute(DensitySettings settings, Device device, DensityData? data = null)
    {
        var recipe = settings.Recipe();
        var method = DensityModels.Find(settings.Model);
        var kind = method.DataKind(recipe.Options);
        if (data is not null && data.Kind != kind)
            throw new ArgumentException($"{settings.Model} with these options models {kind} data, but the run was given {data.Kind} data");
        using var owned = data is null ? DensityData.Load(kind, settings.Seed, settings.Validation, settings.Limit, settings.TestLimit, settings.DataDirectory) : null;
        var d = data ?? owned!;
        settings.Log?.WriteLine($"[{settings.Model}] {kind} data from {d.Source}: {d.Train.shape[0]} train, {d.Validation.shape[0]} validation, {d.Test.shape[0]} test");
        OutputFolder.Create(settings.OutputDirectory);
        var training = new TrainingOptions
        {
            Seed = settings.Seed, OutputDirectory = settings.OutputDirectory, Progress = settings.Progress, Log = settings.Log,
            TensorBoard = settings.TensorBoard, Epochs = recipe.Epochs, LearningRate = recipe.LearningRate,
        };
        Torch.Seed(settings.Seed);
        var fitted = method.Fit(d, recipe, training, device, settings.Log);
        var clock = Stopwatch.StartNew();
        using var ll = fitted.Model.LogLikelihood(d.Test);
        double score = clock.Elapsed.TotalSeconds;
        double mean = ll.mean().ToDouble();
        double stderr = ll.numel() > 1 ? ll.std().ToDouble() / Math.Sqrt(ll.numel()) : 0;
        var figures = DensityFigures.Write(fitted.Model, d.Test, settings.OutputDirectory, settings.Model, settings.Seed);
        var results = new DensityResults(settings.Model, method.Description, kind.ToString().ToLowerInvariant(), d.Source, d.Train.shape[0], d.Validation.shape[0],
            d.Test.shape[0], mean, stderr, Likelihood.BitsPerDimension(mean, d.Dimension, kind), Estimator(fitted.Model), fitted.Seconds, score,
            fitted.Training?.EpochsCompleted ?? 0, ModelCard.SettingsOf(fitted.Options), fitted.Checkpoint, figures);
        RunResults.Write(settings.OutputDirectory, results);
        settings.Log?.WriteLine($"[{settings.Model}] test log-likelihood {mean:F1} ± {stderr:F1} nats ({results.BitsPerDimension:F3} bits/dim, {results.Estimator})");
        return (fitted, results);
    }

    /// <summary>How a model's log-likelihood is computed, in words.</summary>
    public static string Estimator(IDensityModel model) => model switch
    {
        VariationalAutoencoder v => $"importance-weighted estimate, k = {v.Options.EvalSamples}",
        DensityNetwork n => $"Monte-Carlo over the prior, R = {n.Options.EvalSamples}",
        _ => "exact",
    };
}
