using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Data.Volumes;
using Aperture.Imaging;
using Aperture.Segmentation.VNet;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>What a volume segmentation run is asked to do; unset values come from the recipe (<see cref="VolumeSegmentationRun.Recipe"/>).</summary>
public sealed record VolumeSegmentationSettings
{
    /// <summary>Run folder: checkpoints (the model), metrics, <c>slices.png</c>, <c>results.json</c>, and <c>data/</c> when volumes are generated.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>A folder of NIfTI image/label pairs (<see cref="VolumeDataset"/>), or null to generate synthetic volumes.</summary>
    public string? DataRoot { get; init; }

    /// <summary>Volumes to generate when <see cref="DataRoot"/> is null (split 80/10/10); the set in <c>data/</c> is reused
    /// when it was generated with the same count, seed and generator options.</summary>
    public int Volumes { get; init; } = 60;

    /// <summary>Generator parameters when generating (defaults when null).</summary>
    public VolumeOptions? Generator { get; init; }

    /// <summary>Seed of generation, initialisation and sampling.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>A short recipe (few epochs) for tests and the report's quick tour.</summary>
    public bool Quick { get; init; }

    /// <summary>Epochs, or null for the recipe's.</summary>
    public int? Epochs { get; init; }

    /// <summary>Learning rate, or null for the recipe's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Changes to <see cref="VNetOptions"/>, <c>name=value</c> with snake_case names (e.g. <c>base_width=16</c>, <c>kernel_size=3</c>).</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>Continue from the run folder's last checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Test volumes drawn in <c>slices.png</c>.</summary>
    public int Examples { get; init; } = 4;
}

/// <summary>One class's Dice on the test volumes, pooled over them (null when the class is in neither truth nor prediction).</summary>
/// <param name="Class">Class name.</param>
/// <param name="Dice">Mean Dice.</param>
public sealed record ClassDice(string Class, double? Dice);

/// <summary>What a volume segmentation run measured, as written to <c>results.json</c>.</summary>
/// <param name="Method">Method name (<c>vnet</c>).</param>
/// <param name="Data">Dataset folder.</param>
/// <param name="ClassNames">Foreground classes.</param>
/// <param name="TrainVolumes">Training volumes.</param>
/// <param name="ValidationVolumes">Validation volumes.</param>
/// <param name="TestVolumes">Test volumes scored.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="PatchSize">Training patch and sliding-window tile side.</param>
/// <param name="MeanDice">Mean over the foreground classes of the per-class Dice, each pooled over the test volumes
/// (every voxel of every test volume counted once: 2·ΣTP / (ΣP + ΣG)).</param>
/// <param name="PerVolumeDice">Mean over the foreground classes of the per-class Dice averaged over the test volumes whose
/// truth holds the class (the other usual convention; stray voxels of a class absent from the truth are not counted).</param>
/// <param name="PerClassDice">Pooled Dice per foreground class.</param>
/// <param name="TrainSeconds">Training time (validation included).</param>
/// <param name="MsPerVolume">Sliding-window segmentation time per test volume.</param>
/// <param name="Parameters">Trainable parameters of the network.</param>
/// <param name="Settings">The V-Net options trained with.</param>
/// <param name="Checkpoint">The model file that was scored (loaded back from the run folder).</param>
/// <param name="Figures">PNGs: <c>slices.png</c> (image | truth | prediction per test volume, captioned with the volume's
/// Dice averaged over the classes its truth holds).</param>
public sealed record VolumeSegmentationResults(string Method, string Data, IReadOnlyList<string> ClassNames, int TrainVolumes, int ValidationVolumes,
    int TestVolumes, int Epochs, int PatchSize, double MeanDice, double PerVolumeDice, IReadOnlyList<ClassDice> PerClassDice, double TrainSeconds, double MsPerVolume,
    long Parameters, VNetOptions Settings, string Checkpoint, IReadOnlyList<string> Figures);

/// <summary>A finished run: the segmenter loaded back from the run folder (the one scored) and the results.</summary>
/// <param name="Result">What the trainer returned.</param>
/// <param name="Segmenter">The V-Net loaded from the run folder.</param>
/// <param name="Results">The results file's content.</param>
public sealed record VolumeSegmentationOutcome(TrainingResult Result, VNetSegmenter Segmenter, VolumeSegmentationResults Results);

/// <summary>How V-Net trains: epochs, learning rate (Adam) and the options record.</summary>
/// <param name="Epochs">Epochs.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="Options">V-Net settings.</param>
public sealed record VNetRecipe(int Epochs, double LearningRate, VNetOptions Options);

/// <summary>
/// The 3-D segmentation run (V-Net, Milletari et al. 2016), written once for <c>aperture train segment --model vnet</c>
/// and the report: data (generated volumes written as NIfTI, or a user's NIfTI folder — read by the same
/// <see cref="VolumeDataset"/>) → train with the <see cref="Trainer{TBatch}"/> → load the model back from the run folder
/// → Dice per class on the test volumes with sliding-window inference → <c>slices.png</c> → <c>results.json</c>.
/// </summary>
public static class VolumeSegmentationRun
{
    /// <summary>
    /// The recipe: the paper's V-Net made small enough for a CPU — base width 6 (the paper: 16), 24³ patches, three down-samplings, 1, 2, 2, 2
    /// convolutions per stage, 5x5x5 kernels as in the paper, instance normalisation (the paper has none: without it
    /// the net needs many more steps), the Dice loss plus a voxel-wise cross-entropy of weight 1 (as nnU-Net; the paper:
    /// Dice alone, <c>cross_entropy_weight=0</c>), Adam (the paper: SGD with momentum 0.99, learning rate 1e-4). Quick: fewer epochs.
    /// </summary>
    public static VNetRecipe Recipe(bool quick) => quick
        ? new VNetRecipe(2, 2e-3, CpuOptions)
        : new VNetRecipe(8, 2e-3, CpuOptions);

    private static readonly VNetOptions CpuOptions = new()
    {
        BaseWidth = 6, Depth = 3, ConvsPerStage = [1, 2, 2, 2], KernelSize = 5, Normalization = VolumeNormalization.Instance,
        PatchSize = 24, BatchSize = 2, PatchesPerVolume = 2, CrossEntropyWeight = 1,
    };

    /// <summary>Runs it.</summary>
    /// <param name="settings">Folder, data, recipe overrides.</param>
    /// <param name="device">Where to train and segment.</param>
    /// <exception cref="TrainingStoppedException">Training diverged; the last good checkpoint is kept.</exception>
    /// <exception cref="ArgumentException">A bad setting or option.</exception>
    /// <exception cref="InvalidDataException">Malformed data (the message names the file).</exception>
    public static VolumeSegmentationOutcome Execute(VolumeSegmentationSettings settings, Device device)
    {
        var recipe = Recipe(settings.Quick);
        var options = With(recipe.Options, settings.Set);
        options.Validate();
        var training = new TrainingOptions
        {
            Epochs = settings.Epochs ?? recipe.Epochs, Optimizer = OptimizerKind.Adam, LearningRate = settings.LearningRate ?? recipe.LearningRate,
            Seed = settings.Seed, OutputDirectory = settings.OutputDirectory, Resume = settings.Resume, Progress = settings.Progress, Log = settings.Log,
            TensorBoard = settings.TensorBoard, LogEvery = 10,
        };
        training.Validate();
        var dataset = OpenData(settings);
        var train = LoadAll(dataset, "train");
        var validation = LoadAll(dataset, "val");
        var test = dataset.Split("test");
        if (train.Count == 0) throw new InvalidDataException($"{dataset.Root}: the training split is empty");
        int channels = (int)train[0].Image.shape[0];
        settings.Log?.WriteLine($"[{VNetSegmenter.Method}] training for {training.Epochs} epochs on {train.Count} volumes ({string.Join(", ", dataset.ClassNames)})");

        var (network, result) = VNetTraining.Train(train, validation, dataset.ClassNames, channels, options, training, device);
        network.Dispose();
        if (!result.Succeeded) throw new TrainingStoppedException(result.Message);

        string checkpoint = RunFolder.Checkpoint(settings.OutputDirectory);
        var segmenter = VNetSegmenter.Load(settings.OutputDirectory, device);
        int k = dataset.ClassNames.Count + 1;
        var perVolume = new List<(long[] Both, long[] Predicted, long[] Truth)>();
        var pooled = (Both: new long[k], Predicted: new long[k], Truth: new long[k]);
        var examples = new List<(string Id, Tensor Image, Tensor Truth, Tensor Predicted, double Dice)>();
        var clock = new Stopwatch();
        foreach (var item in test)
        {
            using var v = dataset.Load(item);
            clock.Start();
            using var predicted = segmenter.Segment(v.Image);
            clock.Stop();
            var counts = DiceScore.Counts(predicted, v.Labels, k);
            pooled = DiceScore.Add(pooled, counts);
            var dice = DiceScore.FromCounts(counts);
            perVolume.Add(counts);
            if (examples.Count < settings.Examples)
                examples.Add((item.Id, v.Image.clone(), v.Labels.clone(), predicted.clone(),
                    DiceScore.MeanDefined(Enumerable.Range(1, k - 1).Where(c => counts.Truth[c] > 0).Select(c => dice[c]))));
        }
        var perClass = DiceScore.FromCounts(pooled).Skip(1).ToList();
        double mean = DiceScore.MeanDefined(perClass);
        // per volume: each class averaged over the volumes whose truth holds it (a class absent from the truth is not scored there)
        double perVolumeMean = DiceScore.MeanDefined(Enumerable.Range(1, k - 1).Select(c => DiceScore.MeanDefined(
            perVolume.Where(d => d.Truth[c] > 0).Select(d => DiceScore.FromCounts(d)[c]))));
        var figures = new List<string>();
        if (examples.Count > 0)
        {
            string slices = Path.Combine(settings.OutputDirectory, "slices.png");
            WriteSlices(slices, examples);
            figures.Add(slices);
        }
        foreach (var e in examples) { e.Image.Dispose(); e.Truth.Dispose(); e.Predicted.Dispose(); }
        var results = new VolumeSegmentationResults(VNetSegmenter.Method, dataset.Root, dataset.ClassNames, train.Count, validation.Count, test.Count,
            result.EpochsCompleted, options.PatchSize, mean, perVolumeMean,
            dataset.ClassNames.Select((c, i) => new ClassDice(c, double.IsNaN(perClass[i]) ? null : perClass[i])).ToList(),
            result.History.Sum(h => h.Seconds + h.ValidationSeconds), test.Count == 0 ? 0 : clock.Elapsed.TotalMilliseconds / test.Count,
            segmenter.Network.parameters().Sum(p => p.numel()), options, checkpoint, figures);
        RunResults.Write(settings.OutputDirectory, results);
        settings.Log?.WriteLine($"[{VNetSegmenter.Method}] test Dice {mean:F3} pooled, {perVolumeMean:F3} per volume ({string.Join(", ", results.PerClassDice.Select(c => $"{c.Class} {c.Dice:F3}"))}), {results.MsPerVolume:F0} ms/volume");
        foreach (var v in train.Concat(validation)) { v.Image.Dispose(); v.Labels.Dispose(); }
        return new VolumeSegmentationOutcome(result, segmenter, results);
    }

    /// <summary>The options with some fields changed, each <c>name=value</c> with the snake_case name as in the model card.</summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists them) or a value of the wrong type.</exception>
    public static VNetOptions With(VNetOptions options, IEnumerable<string> assignments) =>
        (VNetOptions)OptionAssignments.Apply(options, assignments);

    private static VolumeDataset OpenData(VolumeSegmentationSettings settings)
    {
        if (settings.DataRoot is not null) return VolumeDataset.Open(settings.DataRoot);
        string root = Path.Combine(settings.OutputDirectory, "data");
        if (!SameGeneration(Path.Combine(root, VolumeDataset.IndexFile), settings))
        {
            settings.Log?.WriteLine($"generating {settings.Volumes} volumes into {root}");
            VolumesWriter.Write(root, settings.Volumes, settings.Seed, settings.Generator);
        }
        return VolumeDataset.Open(root);
    }

    /// <summary>Whether a generated set's index records this run's count, seed and generator options (then a resumed or
    /// repeated run reuses it; anything else regenerates).</summary>
    private static bool SameGeneration(string index, VolumeSegmentationSettings settings)
    {
        if (!File.Exists(index)) return false;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(index));
            var options = JsonSerializer.SerializeToNode(settings.Generator ?? new VolumeOptions());
            return json?["numTraining"]?.GetValue<int>() == settings.Volumes && json["generator"]?["seed"]?.GetValue<long>() == settings.Seed
                && JsonNode.DeepEquals(json["generator"]?["options"], options);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static List<TrainingVolume> LoadAll(VolumeDataset dataset, string split)
    {
        var list = new List<TrainingVolume>();
        foreach (var item in dataset.Split(split))
        {
            using var v = dataset.Load(item);
            var image = VolumeIntensity.Standardize(v.Image).unsqueeze(0);
            list.Add(new TrainingVolume(item.Id, image, v.Labels.clone()));
        }
        return list;
    }

    /// <summary>One row per example: the axial slice (fixed depth) holding the most foreground, as image | truth | prediction.</summary>
    private static void WriteSlices(string path, IReadOnlyList<(string Id, Tensor Image, Tensor Truth, Tensor Predicted, double Dice)> examples)
    {
        using var scope = NewDisposeScope();
        var tiles = new List<Tensor>();
        var captions = new List<Caption>();
        foreach (var (id, image, truth, predicted, dice) in examples)
        {
            long z = truth.ne(0).sum([1L, 2L]).argmax().item<long>();
            var slice = image[z].to_type(ScalarType.Float32);
            var grey = slice.sub(slice.min()).div(slice.max().sub(slice.min()).clamp_min(1e-6f)).unsqueeze(0);
            tiles.Add(Raster.Rgb(grey));
            tiles.Add(Overlay.Mask(grey, truth[z].to_type(ScalarType.Int64), alpha: 0.6));
            tiles.Add(Overlay.Mask(grey, predicted[z].to_type(ScalarType.Int64), alpha: 0.6));
            captions.Add(Caption.Plain($"{id} z={z}"));
            captions.Add(Caption.Plain("truth"));
            captions.Add(Caption.Plain($"V-Net, Dice {dice:F2}"));
        }
        var grid = ImageGrid.Tile(stack(tiles.ToArray()), columns: 3, scale: Math.Max(1, 128 / (int)examples[0].Image.shape[2]), captions: captions);
        ImageTensor.Write(path, grid);
    }
}
