using System.Diagnostics;
using Aperture.Classification;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Data.Scenes;
using Aperture.Ops;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// Weakly supervised localization as in Zhou et al. (CVPR 2016, section 3): a GAP network (VGG-GAP) is trained on
/// scenes with image-level labels only — a multi-hot vector of the classes present, one sigmoid and binary
/// cross-entropy per class — and then, for each test scene, the class activation map of its top-scoring class gives a
/// box by the paper's rule (20% of the map's maximum, largest connected component). The box is right when it overlaps
/// a true box of that class with IoU ≥ 0.5; a centre box and the full image are scored the same way.
/// </summary>
public static class WeaklySupervisedLocalization
{
    private const int Chunk = 500;

    /// <summary>Shrinks images <c>uint8 [N, C, H, W]</c> to <c>uint8 [N, C, s, s]</c> by area averaging (rounded).</summary>
    public static Tensor Shrink(Tensor images, int size)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.interpolate(images.to_type(ScalarType.Float32), new long[] { size, size }, mode: InterpolationMode.Area);
        return x.round_().clamp_(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generates scenes <c>0 … count − 1</c> and keeps them shrunk: images <c>uint8 [count, 3, s, s]</c> and
    /// multi-hot targets <c>float32 [count, K]</c>. Made in chunks so the full-size scenes never all exist at once.
    /// </summary>
    public static (Tensor Images, Tensor Targets) Generate(SceneGenerator generator, int count, int inputSize)
    {
        using var scope = NewDisposeScope();
        var images = new List<Tensor>();
        var targets = new List<Tensor>();
        for (int start = 0; start < count; start += Chunk)
        {
            var scenes = generator.Generate(start, Math.Min(Chunk, count - start));
            images.Add(Shrink(stack(scenes.Select(s => s.ImageTensor()).ToArray()), inputSize));
            targets.Add(MultiLabelTargets.FromScenes(scenes, generator.ClassNames.Count));
        }
        return (cat(images.ToArray(), 0).MoveToOuterDisposeScope(), cat(targets.ToArray(), 0).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The batches of one epoch over shrunk images and targets: normalised by <paramref name="model"/>, shuffled by a
    /// generator seeded with (seed, epoch) and mirrored left-right at random when <paramref name="shuffle"/> is true
    /// (a mirror changes no image-level label). Each batch belongs to no dispose scope; the consumer disposes it.
    /// </summary>
    /// <param name="model">Gives the normalisation.</param>
    /// <param name="images">Shrunk images <c>uint8 [N, 3, s, s]</c>.</param>
    /// <param name="targets">Targets <c>float32 [N, K]</c>.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="shuffle">Shuffle and augment (training), or file order without augmentation (evaluation).</param>
    /// <param name="seed">Seed.</param>
    /// <param name="epoch">Epoch number, for the seed.</param>
    /// <param name="device">Where batches go.</param>
    public static IEnumerable<MultiLabelBatch> Batches(WeaklySupervisedModel model, Tensor images, Tensor targets, int batchSize, bool shuffle,
        long seed, int epoch, Device device)
    {
        var sampler = new EpochSampler(images.shape[0], seed, shuffle);
        foreach (var sampled in sampler.Batches(epoch, batchSize))
        {
            MultiLabelBatch batch;
            using (var scope = NewDisposeScope())
            {
                using var gen = sampled.TorchGenerator();
                var idx = tensor(sampled.Examples);
                var x = model.Normalize(images.index_select(0, idx));
                if (shuffle)
                {
                    var flip = rand(new[] { idx.shape[0] }, generator: gen).lt(0.5).view(-1, 1, 1, 1);
                    x = where(flip, x.flip(3), x);
                }
                batch = new MultiLabelBatch(x.to(device).DetachFromDisposeScope(), targets.index_select(0, idx).to(device).DetachFromDisposeScope());
            }
            yield return batch;
        }
    }

    /// <summary>
    /// The whole experiment: scenes from <paramref name="trainItems"/> for training and validation, scenes from
    /// <paramref name="testItems"/> for testing; a VGG-GAP trained by the <see cref="Trainer{TBatch}"/> with
    /// <see cref="MultiLabelTask"/>; then <see cref="Evaluate"/> on the test scenes.
    /// </summary>
    /// <param name="trainItems">Item images for the training and validation scenes (e.g. the Fashion-MNIST training set).</param>
    /// <param name="testItems">Item images for the test scenes (e.g. the Fashion-MNIST test set).</param>
    /// <param name="options">Scene counts, scene look, input size, widths, batch size.</param>
    /// <param name="training">Epochs, optimizer, seed, output folder, progress (its <c>Card</c> is filled in here).</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Where progress lines go (null: none).</param>
    /// <param name="pretrained">A VGG-GAP classifier of the same widths trained on the items themselves (e.g. by
    /// <c>aperture train classify --model vgg-gap</c>) to start from, as Zhou et al. start from an ImageNet classifier; null
    /// trains from scratch. See <see cref="InitializeFrom"/>.</param>
    public static WeaklySupervisedRun Train(LabeledImages trainItems, LabeledImages testItems, WeaklySupervisedOptions options,
        TrainingOptions training, Device? device = null, TextWriter? log = null, VggGap? pretrained = null)
    {
        options.Validate();
        training.Validate();
        device ??= CPU;
        long seed = training.Seed;
        var clock = Stopwatch.StartNew();
        var trainGen = new SceneGenerator(trainItems, seed, options.Scenes);
        var valGen = new SceneGenerator(trainItems, seed + 7919, options.Scenes);
        var testGen = new SceneGenerator(testItems, seed + 104729, options.Scenes);
        var (trainImages, trainTargets) = Generate(trainGen, options.TrainScenes, options.InputSize);
        var (valImages, valTargets) = options.ValidationScenes > 0 ? Generate(valGen, options.ValidationScenes, options.InputSize) : (null, null);
        var testScenes = testGen.Generate(0, options.TestScenes);
        double sceneSeconds = clock.Elapsed.TotalSeconds;
        log?.WriteLine($"[localize] {options.TrainScenes} training + {options.ValidationScenes} validation scenes (training items) and "
            + $"{options.TestScenes} test scenes (test items) made in {sceneSeconds:F1} s");
        try
        {
            // Per-channel normalisation from the training scenes.
            float[] mean, std;
            using (var scope = NewDisposeScope())
            {
                var f = trainImages.to_type(ScalarType.Float32).div(255);
                mean = f.mean(new long[] { 0, 2, 3 }).data<float>().ToArray();
                std = f.std(new long[] { 0, 2, 3 }).data<float>().ToArray();
            }
            var network = new VggGap(trainGen.ClassNames.Count, 3, options.Widths);
            if (pretrained is not null) InitializeFrom(network, pretrained);
            network.to(device);
            var model = new WeaklySupervisedModel(network, trainGen.ClassNames, options.InputSize, options.Widths, mean, std);
            training = training with { Card = model.ToCard() };
            var task = new MultiLabelTask(network, training);
            var result = new Trainer<MultiLabelBatch>(task, training).Fit(
                epoch => Batches(model, trainImages, trainTargets, options.BatchSize, true, seed, epoch, device),
                valImages is null ? null : () => Batches(model, valImages, valTargets!, 256, false, seed, 0, device),
                new EpochSampler(trainImages.shape[0], seed).BatchCount(options.BatchSize));
            double trainSeconds = clock.Elapsed.TotalSeconds - sceneSeconds;
            var evaluation = result.Succeeded ? Evaluate(model, testScenes) : null;
            return new WeaklySupervisedRun(model, result, evaluation, testScenes, options, sceneSeconds, trainSeconds);
        }
        finally
        {
            trainImages.Dispose();
            trainTargets.Dispose();
            valImages?.Dispose();
            valTargets?.Dispose();
        }
    }

    /// <summary>
    /// Copies the weights of a trained VGG-GAP into <paramref name="network"/>: every parameter and buffer of the same name
    /// and shape; a first convolution trained on grey images (1 input channel) is spread over the three colour channels
    /// (each gets a third, so a grey pixel gives the same response). The classifier is copied when the classes agree.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor of the same name has another shape (other widths).</exception>
    public static void InitializeFrom(VggGap network, VggGap pretrained)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var source = pretrained.state_dict();
        foreach (var (name, target) in network.state_dict())
        {
            if (!source.TryGetValue(name, out var value)) continue;
            var v = value.to(target.device);
            if (name.EndsWith("conv1_1.weight", StringComparison.Ordinal) && v.shape[1] == 1 && target.shape[1] == 3)
                v = v.expand(-1, 3, -1, -1).div(3);
            if (!v.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"the pretrained network's {name} is [{string.Join(", ", v.shape)}], this one's [{string.Join(", ", target.shape)}]: train it with the same widths");
            target.copy_(v);
        }
    }

    /// <summary>
    /// Scores localization on scenes: per scene the top-scoring class's CAM box (<see cref="LocalizationScore"/>, IoU ≥
    /// <paramref name="iouThreshold"/>, class must match) beside the centre-box and full-image baselines; and, as a second
    /// view, for every class present in a scene the box from that class's CAM (the "known class" setting).
    /// </summary>
    /// <param name="model">The trained model.</param>
    /// <param name="scenes">Test scenes with their true boxes.</param>
    /// <param name="iouThreshold">IoU for a match (0.5 in the paper).</param>
    /// <param name="batchSize">Scenes per forward pass.</param>
    public static WeaklySupervisedEvaluation Evaluate(WeaklySupervisedModel model, IReadOnlyList<Scene> scenes, double iouThreshold = 0.5, int batchSize = 64)
    {
        var top = new LocalizationScore(iouThreshold);
        var known = new LocalizationScore(iouThreshold);
        var outcomes = new List<SceneOutcome>();
        int hits = 0;
        for (int s = 0; s < scenes.Count; s += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = scenes.Skip(s).Take(batchSize).ToList();
            var images = stack(chunk.Select(c => c.ImageTensor()).ToArray());
            var truthClasses = chunk.Select(c => (IReadOnlyList<int>)c.Objects.Select(o => o.ClassId).Distinct().Order().ToList()).ToList();
            var topMaps = model.Localize(images, 1);
            var knownMaps = model.Localize(images, classes: truthClasses);
            for (int i = 0; i < chunk.Count; i++)
            {
                var scene = chunk[i];
                var truth = Truth(scene);
                var p = topMaps[i][0];
                bool present = truth.Any(t => t.Class == p.Class);
                if (present) hits++;
                bool ok = top.Add(p.Class, p.Box, truth, scene.Width, scene.Height);
                outcomes.Add(new SceneOutcome(scene.Index, p.Class, p.Probability, p.Box, present, ok));
                foreach (var m in knownMaps[i]) known.Add(m.Class, m.Box, truth, scene.Width, scene.Height);
            }
        }
        return new WeaklySupervisedEvaluation(top, known, scenes.Count == 0 ? 0 : (double)hits / scenes.Count, outcomes);
    }

    /// <summary>The true objects of a scene as (box, class) pairs, the form <see cref="LocalizationScore.Add"/> takes.</summary>
    public static IReadOnlyList<(Box Box, int Class)> Truth(Scene scene) =>
        scene.Objects.Select(o => (o.Box, o.ClassId)).ToList();
}

/// <summary>What <see cref="WeaklySupervisedLocalization.Train"/> returns.</summary>
/// <param name="Model">The trained model.</param>
/// <param name="Training">How training went (checkpoints, history).</param>
/// <param name="Test">Localization scores on the test scenes (null when training diverged).</param>
/// <param name="TestScenes">The test scenes (made from test items).</param>
/// <param name="Options">The settings used.</param>
/// <param name="SceneSeconds">Time spent making scenes.</param>
/// <param name="TrainSeconds">Time spent training.</param>
public sealed record WeaklySupervisedRun(WeaklySupervisedModel Model, TrainingResult Training, WeaklySupervisedEvaluation? Test,
    IReadOnlyList<Scene> TestScenes, WeaklySupervisedOptions Options, double SceneSeconds, double TrainSeconds);

/// <summary>Localization scores of a set of scenes.</summary>
/// <param name="TopClass">Per scene, the top-scoring class's box (the paper's top-1 localization), with the baselines for the same class.</param>
/// <param name="KnownClass">Per (scene, class present), that class's box: localization when the class is given, with the baselines.</param>
/// <param name="ClassificationTop1">Fraction of scenes whose top-scoring class is present.</param>
/// <param name="Outcomes">Per scene what happened.</param>
public sealed record WeaklySupervisedEvaluation(LocalizationScore TopClass, LocalizationScore KnownClass, double ClassificationTop1,
    IReadOnlyList<SceneOutcome> Outcomes);

/// <summary>One test scene's top-1 localization.</summary>
/// <param name="SceneIndex">The scene's index in its generator.</param>
/// <param name="PredictedClass">Top-scoring class.</param>
/// <param name="Probability">Its sigmoid score.</param>
/// <param name="Box">The CAM box (null when none).</param>
/// <param name="ClassPresent">Whether the class is in the scene.</param>
/// <param name="Correct">Whether the box matches a true box of the class at the IoU threshold.</param>
public sealed record SceneOutcome(int SceneIndex, int PredictedClass, float Probability, Box? Box, bool ClassPresent, bool Correct);
