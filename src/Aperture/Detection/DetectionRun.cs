using System.Text.Json.Serialization;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>What a detection run is asked to do; unset values come from the method's <see cref="IDetectorMethod.Recipe"/>.</summary>
public sealed record DetectionSettings
{
    /// <summary>Method name, one of <see cref="Detectors.Names"/>.</summary>
    public required string Method { get; init; }

    /// <summary>Run folder: checkpoints (the model), metrics, example PNGs, <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of initialisation, sampling and order.</summary>
    public long Seed { get; init; }

    /// <summary>Which recipe of the method.</summary>
    public RunBudget Budget { get; init; } = RunBudget.Default;

    /// <summary>Epochs, or null for the recipe's.</summary>
    public int? Epochs { get; init; }

    /// <summary>Learning rate, or null for the recipe's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Optimizer, or null for the recipe's.</summary>
    public OptimizerKind? Optimizer { get; init; }

    /// <summary>Changes to the method's options, <c>name=value</c> (see <see cref="DetectorRecipe.With"/>).</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>
    /// Where the conv body starts: a trained <c>backbone-fc</c> classifier (run folder or checkpoint), <see cref="Scratch"/>
    /// for random initialisation, or null for <see cref="PretrainEpochs"/> or else the recipe's choice
    /// (<see cref="DetectorRecipe.PretrainedBody"/>: the shipped pre-trained body, or from scratch).
    /// </summary>
    public string? Init { get; init; }

    /// <summary>The <see cref="Init"/> value that trains the body from scratch.</summary>
    public const string Scratch = "scratch";

    /// <summary>
    /// Without <see cref="Init"/>: pre-train the body here for this many epochs (<c>backbone-fc</c> in
    /// <c>&lt;out&gt;/pretrain</c>, the way the shipped body was made) instead of the recipe's start; 0 from scratch; null
    /// the recipe's.
    /// </summary>
    public int? PretrainEpochs { get; init; }

    /// <summary>Fashion-MNIST folder for the pre-training stage (null: the usual places).</summary>
    public string? FashionMnist { get; init; }

    /// <summary>Learning-rate schedule, or null for the recipe's.</summary>
    public ScheduleKind? Schedule { get; init; }

    /// <summary>Early-stopping patience in epochs, or null for the recipe's (0: never).</summary>
    public int? Patience { get; init; }

    /// <summary>Continue from the run folder's last checkpoint, with the options in its card and <see cref="Set"/>'s
    /// changes on top (<see cref="ResumedOptions"/>): e.g. a finished R-CNN run resumed with <c>--set svm={"c":0.01}</c>
    /// trains only its SVMs again, and its card then says C 0.01.</summary>
    public bool Resume { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Example images drawn for the best and for the worst test images.</summary>
    public int Examples { get; init; } = 8;
}

/// <summary>One class's VOC AP at IoU 0.5 (null where the test images hold none of it).</summary>
/// <param name="Class">Class name.</param>
/// <param name="Ap">Average precision.</param>
public sealed record ClassAp(string Class, double? Ap);

/// <summary>The supervised pre-training a detector's conv body started from.</summary>
/// <param name="Classifier">The classifier's registry name (<c>backbone-fc</c>).</param>
/// <param name="Checkpoint">Its checkpoint the body was copied from.</param>
/// <param name="Data">What it was trained on.</param>
/// <param name="Epochs">Its epochs.</param>
/// <param name="TrainImages">Its training images.</param>
/// <param name="TestAccuracy">Its accuracy on its test images (null when unknown).</param>
/// <param name="Seconds">Its training time (0 when it was trained by an earlier command and reused).</param>
/// <param name="Reused">True when no classifier was trained by this run (<c>--init</c>, the shipped body, or a finished
/// <c>&lt;out&gt;/pretrain</c>).</param>
public sealed record BodyPretraining(string Classifier, string Checkpoint, string? Data, int? Epochs, long? TrainImages, double? TestAccuracy,
    double Seconds, bool Reused);

/// <summary>What a detection run measured, as written to <c>results.json</c>.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Data">Dataset folder.</param>
/// <param name="TrainImages">Training images.</param>
/// <param name="ValidationImages">Validation images.</param>
/// <param name="TestImages">Test images scored.</param>
/// <param name="Epochs">Epochs completed (R-CNN: fine-tuning epochs).</param>
/// <param name="Proposals">Proposal source, or null.</param>
/// <param name="VocMap50">VOC mAP at IoU 0.5.</param>
/// <param name="CocoMap">COCO mAP over IoU 0.50:0.95.</param>
/// <param name="PerClassAp50">VOC AP per class.</param>
/// <param name="MsPerImage">Detection time per image, proposals excluded.</param>
/// <param name="ProposalMsPerImage">Proposal time per image.</param>
/// <param name="MsPerImageWithProposals">Both.</param>
/// <param name="TrainSeconds">Training time of the detector, all its stages (pre-training excluded: see <paramref name="Pretraining"/>).</param>
/// <param name="Stages">The method's account of stages after the trainer's epochs (R-CNN's SVMs), or null.</param>
/// <param name="Checkpoint">The model file (what <c>aperture detect</c> loads from the run folder; what was scored).</param>
/// <param name="Figures">Example PNGs: best and worst test images.</param>
/// <param name="BestEpoch">The epoch of the scored checkpoint when validation picked one.</param>
/// <param name="Pretraining">The supervised pre-training the conv body started from, or null when it was trained from scratch.</param>
/// <param name="FigureThreshold">The lowest score drawn in <paramref name="Figures"/> (<see cref="DetectionExamples.DisplayThreshold"/>).</param>
/// <param name="VocMap50Interval95">The 95% bootstrap interval of <paramref name="VocMap50"/> over the test images
/// (<see cref="DetectionMetrics.VocMapInterval"/>): how much of a difference between two runs the test set can tell.</param>
public sealed record DetectionResults(string Method, string Data, int TrainImages, int ValidationImages, int TestImages, int Epochs, string? Proposals,
    double VocMap50, double CocoMap, IReadOnlyList<ClassAp> PerClassAp50, double MsPerImage, double ProposalMsPerImage, double MsPerImageWithProposals,
    double TrainSeconds, object? Stages, string Checkpoint, IReadOnlyList<string> Figures, int? BestEpoch = null, BodyPretraining? Pretraining = null,
    double? FigureThreshold = null, IReadOnlyList<double>? VocMap50Interval95 = null);

/// <summary>A finished detection run: the trained detector as loaded from its run folder, its test score and results.</summary>
/// <param name="Trained">What training returned (the method's stages included).</param>
/// <param name="Detector">The detector loaded back from the run folder — the one scored.</param>
/// <param name="Score">Accuracy, speed and detections on the test images (the caller disposes the detections).</param>
/// <param name="Results">The results file's content.</param>
public sealed record DetectionOutcome(TrainedDetector Trained, IObjectDetector Detector, DetectorScore Score, DetectionResults Results);

/// <summary>
/// The detection run, written once for <c>aperture train detect</c> and the report's chapter: train a registered method
/// on <see cref="DetectionData"/>, load the model back from the run folder (so what is scored is what is saved),
/// score it on the test images, draw its best and worst images and write <c>results.json</c>.
/// </summary>
public static class DetectionRun
{
    /// <summary>
    /// The method, its recipe with the settings' changes, and the trainer's options — every setting checked, so a
    /// caller can refuse bad options before it reads or generates any data (the CLI does). <see cref="Execute"/> calls it.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown method, option name or bad value; the message names it.</exception>
    public static (IDetectorMethod Method, DetectorRecipe Recipe, TrainingOptions Training) Plan(DetectionSettings settings)
    {
        var method = Detectors.Find(settings.Method);
        var recipe = method.Recipe(settings.Budget);
        // A resumed run continues with its card's options (widths, warp, SVM settings), --set's changes on top.
        if (ResumedOptions.From(settings.OutputDirectory, settings.Resume, ModelFamily.Detector, method.Name, recipe.Options.GetType(), "--method") is { } saved)
            recipe = recipe with { Options = saved };
        recipe = recipe.With(settings.Set);
        var training = new TrainingOptions
        {
            Epochs = settings.Epochs ?? recipe.Epochs, Optimizer = settings.Optimizer ?? recipe.Optimizer, LearningRate = settings.LearningRate ?? recipe.LearningRate,
            Schedule = settings.Schedule ?? recipe.Schedule, Patience = settings.Patience ?? recipe.Patience,
            Seed = settings.Seed, OutputDirectory = settings.OutputDirectory, Resume = settings.Resume, Progress = settings.Progress, Log = settings.Log,
            TensorBoard = settings.TensorBoard,
        };
        training.Validate();
        if (settings.PretrainEpochs is < 0) throw new ArgumentException($"--pretrain-epochs must be >= 0 (got {settings.PretrainEpochs})");
        if (settings.Init is string init && init != DetectionSettings.Scratch)
        {
            using var body = BackboneWeights.FromClassifier(init); // a bad --init fails here, before any data is read
            body.CheckWidths(Nn.Backbone.DefaultWidths);
        }
        return (method, recipe, training);
    }

    /// <summary>
    /// The body's starting weights for a run: those of <see cref="DetectionSettings.Init"/>; else, with
    /// <see cref="DetectionSettings.PretrainEpochs"/> above 0, of a <c>backbone-fc</c> classifier trained now for that many
    /// epochs in <c>&lt;out&gt;/pretrain</c>; else, when the recipe starts from a pre-trained body, of the one that ships
    /// with Aperture (<see cref="ShippedBody"/>), copied into <c>&lt;out&gt;/pretrain</c>; else none (from scratch). A
    /// finished classifier already in <c>&lt;out&gt;/pretrain</c> is reused.
    /// </summary>
    /// <exception cref="FileNotFoundException">--init names nothing.</exception>
    /// <exception cref="InvalidDataException">--init is not a backbone-fc classifier, or its widths differ.</exception>
    public static (BackboneWeights? Body, BodyPretraining? Pretraining) Body(DetectionSettings settings, DetectorRecipe recipe, Device device)
    {
        if (settings.Init == DetectionSettings.Scratch) return (null, null);
        if (settings.Init is string given)
        {
            var body = BackboneWeights.FromClassifier(given);
            return (body, Describe(body, RunFolder.Of(body.Checkpoint), 0, reused: true));
        }
        if (settings.PretrainEpochs == 0 || (settings.PretrainEpochs is null && !recipe.PretrainedBody)) return (null, null);
        string dir = Path.Combine(settings.OutputDirectory, "pretrain");
        int wanted = settings.PretrainEpochs ?? ShippedBody.Epochs;
        // Reused only when it is the body asked for: the shipped one by default, else N epochs.
        bool held = File.Exists(Path.Combine(dir, "results.json"));
        int? recorded = RunResults.Read<ClassificationResults>(dir)?.Epochs;
        if (held && recorded != wanted)
        {
            settings.Log?.WriteLine($"[pretrain] {dir} holds a body of {recorded?.ToString() ?? "unknown"} epochs, not the {wanted} asked for; replacing it");
            Directory.Delete(dir, recursive: true);
        }
        else if (held)
        {
            try
            {
                var cached = BackboneWeights.FromClassifier(dir);
                settings.Log?.WriteLine($"[pretrain] reusing the pre-trained body in {dir}");
                return (cached, Describe(cached, dir, 0, reused: true));
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
            {
                settings.Log?.WriteLine($"[pretrain] {dir} holds no usable body ({e.Message}); writing it again");
            }
        }
        if (settings.PretrainEpochs is not int epochs)
        {
            var shipped = BackboneWeights.FromClassifier(ShippedBody.WriteTo(dir));
            settings.Log?.WriteLine($"[pretrain] the body starts from the {BackboneFc.Id} classifier shipped with Aperture, copied to {dir}");
            return (shipped, Describe(shipped, dir, 0, reused: true));
        }
        settings.Log?.WriteLine($"[pretrain] supervised pre-training of the body: {BackboneFc.Id} on Fashion-MNIST items drawn as in the scenes, {epochs} epochs");
        using var train = Data.FashionMnist.Load(Data.DatasetSplit.Train, settings.FashionMnist);
        using var test = Data.FashionMnist.Load(Data.DatasetSplit.Test, settings.FashionMnist);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (run, results) = ClassificationRun.Execute(new ClassificationSettings
        {
            Model = BackboneFc.Id, OutputDirectory = dir, Seed = settings.Seed, Epochs = epochs, Progress = settings.Progress, Log = settings.Log,
            TensorBoard = settings.TensorBoard,
        }, train, test, device);
        run.Model.Dispose();
        double seconds = clock.Elapsed.TotalSeconds;
        settings.Log?.WriteLine($"[pretrain] {BackboneFc.Id}: test accuracy {results.TestAccuracy:P2} in {seconds:F0} s");
        var weights = BackboneWeights.FromClassifier(dir);
        return (weights, Describe(weights, dir, seconds, reused: false));
    }

    private static BodyPretraining Describe(BackboneWeights body, string runFolder, double seconds, bool reused)
    {
        var r = RunResults.Read<ClassificationResults>(runFolder);
        return new BodyPretraining(BackboneFc.Id, body.Checkpoint, r?.Data, r?.Epochs, r?.TrainImages, r?.TestAccuracy, reused ? 0 : seconds, reused);
    }

    /// <summary>Runs it.</summary>
    /// <param name="settings">Method, folder, budget and overrides.</param>
    /// <param name="data">Images (with proposals attached when the method needs them).</param>
    /// <param name="device">Where to train.</param>
    /// <exception cref="TrainingStoppedException">Training diverged; the last good checkpoint is kept.</exception>
    /// <exception cref="ArgumentException">Unknown method or option, or proposals missing.</exception>
    public static DetectionOutcome Execute(DetectionSettings settings, DetectionData data, Device device)
    {
        var (method, recipe, training) = Plan(settings);
        if (method.UsesProposals && data.ProposalName is null)
            throw new ArgumentException($"{method.Name} needs proposals: attach them to the data first (DetectionData.AttachProposals)");
        var (body, pretraining) = Body(settings, recipe, device);
        using var disposeBody = body;
        settings.Log?.WriteLine($"[{method.Name}] training for {training.Epochs} epochs on {data.Train.Count} images, "
            + (body is null ? "body from scratch" : $"body from {body.Origin}"));
        var trained = method.Train(new DetectorTrainingData(data.Train, data.Validation, data.ClassNames, method.UsesProposals ? data.ProposalName : null, body),
            recipe.Options, training, device, settings.Log);
        if (!trained.Result.Succeeded) throw new TrainingStoppedException(trained.Result.Message);

        string checkpoint = RunFolder.Checkpoint(settings.OutputDirectory);
        var (detector, _, _) = Detectors.Load(checkpoint, device);
        var score = DetectorEvaluation.Evaluate(detector, data.Test, method.UsesProposals ? data.ProposalMs : 0);
        string good = Path.Combine(settings.OutputDirectory, "detections-good.png"), bad = Path.Combine(settings.OutputDirectory, "detections-bad.png");
        double shown = DetectionExamples.DisplayThreshold(score, data.Test, method.DisplayThreshold);
        DetectionExamples.Write(good, score, data.Test, data.ClassNames, settings.Examples, worst: false, shown);
        DetectionExamples.Write(bad, score, data.Test, data.ClassNames, settings.Examples, worst: true, shown);
        var interval = DetectionMetrics.VocMapInterval(score.Detections, data.Test.Select(i => i.Truth).ToList(), data.ClassNames.Count, seed: (int)settings.Seed);
        var results = new DetectionResults(method.Name, Path.GetFullPath(data.Root), data.Train.Count, data.Validation.Count, data.Test.Count,
            trained.Result.EpochsCompleted, method.UsesProposals ? data.ProposalName : null, score.VocMap, score.CocoMap,
            data.ClassNames.Select((c, i) => new ClassAp(c, double.IsNaN(score.PerClassAp[i]) ? null : score.PerClassAp[i])).ToList(),
            score.DetectMs, method.UsesProposals ? data.ProposalMs : 0, score.TotalMs,
            trained.Result.History.Sum(h => h.Seconds + h.ValidationSeconds) + trained.ExtraSeconds, trained.Stages, checkpoint, [good, bad],
            trained.Result.BestEpoch, pretraining, shown, double.IsNaN(interval.Low) ? null : [interval.Low, interval.High]);
        RunResults.Write(settings.OutputDirectory, results);
        settings.Log?.WriteLine($"[{method.Name}] VOC mAP@0.5 {score.VocMap:F3} (95% interval {interval.Low:F3}–{interval.High:F3} over "
            + $"{data.Test.Count} test images), COCO mAP {score.CocoMap:F3}, {score.DetectMs:F1} ms/image");
        return new DetectionOutcome(trained, detector, score, results);
    }
}
