using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Localization;
using Aperture.Tests.Data;
using Aperture.Tests.Data.Scenes;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Localization;

public class WeaklySupervisedTests
{
    private static readonly SceneOptions SmallScenes = new() { Width = 64, Height = 64, MinItems = 1, MaxItems = 3, MinScale = 0.6, MaxScale = 1.5 };

    [Fact]
    public void TargetsMarkExactlyTheClassesPresent()
    {
        using var scope = NewDisposeScope();
        using var items = FashionMnistSample.Load();
        var scenes = new SceneGenerator(items, 3, SmallScenes).Generate(0, 20);
        var t = MultiLabelTargets.FromScenes(scenes, 10);
        Assert.Equal(new long[] { 20, 10 }, t.shape);
        for (int n = 0; n < scenes.Length; n++)
        {
            var present = scenes[n].Objects.Select(o => o.ClassId).ToHashSet();
            for (int c = 0; c < 10; c++) Assert.Equal(present.Contains(c) ? 1f : 0f, t[n, c].item<float>());
            Assert.Equal(t[n], MultiLabelTargets.FromClasses(scenes[n].Objects.Select(o => o.ClassId), 10));
        }
        Assert.Equal(new float[] { 0, 1, 0, 1 }, MultiLabelTargets.FromClasses(new[] { 3, 1, 3 }, 4).data<float>().ToArray());
        var e = Assert.Throws<ArgumentException>(() => MultiLabelTargets.FromClasses(new[] { 4 }, 4));
        Assert.Contains("class 4", e.Message);
    }

    [Fact]
    public void OracleHeatmapsLocalizeEverySingleInstanceAndShiftedBoxesFail()
    {
        // A "CAM" that is exactly the class's mask gives, by the 20% rule, the tight box of its largest component:
        // for a class with one object that is the true box, so the score counts it right; a box shifted by half
        // its width (IoU 1/3) and a wrong class are counted wrong.
        using var scope = NewDisposeScope();
        using var items = FashionMnistSample.Load();
        var scenes = new SceneGenerator(items, 5, SmallScenes with { MaxItems = 1 }).Generate(0, 30);
        var oracle = new LocalizationScore();
        var shifted = new LocalizationScore();
        var wrongClass = new LocalizationScore();
        foreach (var s in scenes)
        {
            var o = s.Objects[0];
            var mask = s.InstanceMaskTensor().eq(o.InstanceId).to_type(ScalarType.Float32);
            var box = HeatmapBoxes.FromHeatmap(mask);
            var truth = WeaklySupervisedLocalization.Truth(s);
            Assert.True(oracle.Add(o.ClassId, box, truth, s.Width, s.Height), $"scene {s.Index}: box {box} vs {o.Box}");
            var b = box!.Value;
            float dx = (b.X2 - b.X1) / 2;
            Assert.False(shifted.Add(o.ClassId, b with { X1 = b.X1 + dx, X2 = b.X2 + dx }, truth, s.Width, s.Height));
            Assert.False(wrongClass.Add((o.ClassId + 1) % 10, box, truth, s.Width, s.Height));
        }
        Assert.Equal(1.0, oracle.Accuracy);
        Assert.Equal(0.0, shifted.Accuracy);
        Assert.Equal(0.0, wrongClass.Accuracy);
        Assert.True(oracle.CentreAccuracy < 1.0 && oracle.FullImageAccuracy < 1.0);
    }

    [Fact]
    public void BatchesAreSeededAndMirroringKeepsTargets()
    {
        using var scope = NewDisposeScope();
        using var items = FashionMnistSample.Load();
        var gen = new SceneGenerator(items, 1, SmallScenes);
        var (images, targets) = WeaklySupervisedLocalization.Generate(gen, 10, 32);
        Assert.Equal(new long[] { 10, 3, 32, 32 }, images.shape);
        Assert.Equal(ScalarType.Byte, images.dtype);
        var model = new WeaklySupervisedModel(new Aperture.Classification.VggGap(10, 3, [2, 2, 2]), FashionMnistSample.ClassNames, 32, [2, 2, 2],
            [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        List<MultiLabelBatch> Epoch(int e) => WeaklySupervisedLocalization.Batches(model, images, targets, 4, true, 7, e, CPU).ToList();
        var a = Epoch(1);
        var b = Epoch(1);
        Assert.Equal(new long[] { 4, 4, 2 }, a.Select(x => x.Size));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(a[i].Images.eq(b[i].Images).all().item<bool>());
            // Each batch image is a (possibly mirrored) normalised scene whose targets travel with it.
            for (int j = 0; j < a[i].Size; j++)
            {
                var x = a[i].Images[j];
                int match = -1;
                for (int n = 0; n < 10 && match < 0; n++)
                {
                    var want = model.Prepare(images[n].unsqueeze(0))[0];
                    if (x.allclose(want) || x.allclose(want.flip(2))) match = n;
                }
                Assert.True(match >= 0);
                Assert.True(a[i].Targets[j].eq(targets[match]).all().item<bool>());
            }
        }
        var plain = WeaklySupervisedLocalization.Batches(model, images, targets, 10, false, 7, 1, CPU).Single();
        Assert.True(plain.Images.allclose(model.Prepare(images)));
        foreach (var x in a.Concat(b)) x.Dispose();
        plain.Dispose();
    }

    [Fact]
    public void ShortTrainingReducesTheLossAndTheCheckpointReloads()
    {
        using var scope = NewDisposeScope();
        using var items = FashionMnistSample.Load();
        using var dir = new TempDir();
        var options = new WeaklySupervisedOptions
        {
            TrainScenes = 96, ValidationScenes = 0, TestScenes = 12, InputSize = 32, Widths = [8, 16, 16], BatchSize = 16, Scenes = SmallScenes,
        };
        var training = new TrainingOptions
        {
            Epochs = 6, Optimizer = OptimizerKind.Adam, LearningRate = 3e-3, Seed = 2, OutputDirectory = dir.Path,
            Progress = ProgressMode.Quiet, TensorBoard = false,
        };
        var run = WeaklySupervisedLocalization.Train(items, items, options, training);
        Assert.True(run.Training.Succeeded, run.Training.Message);
        var h = run.Training.History;
        Assert.True(h[^1].Train["loss"] < h[0].Train["loss"] - 0.02, $"loss {h[0].Train["loss"]:0.000} -> {h[^1].Train["loss"]:0.000}");
        Assert.NotNull(run.Test);
        Assert.Equal(12, run.Test!.TopClass.Count);
        Assert.Equal(run.TestScenes.Sum(s => s.Objects.Select(o => o.ClassId).Distinct().Count()), run.Test.KnownClass.Count);

        // The checkpoint rebuilds the same model.
        var loaded = WeaklySupervisedModel.Load(run.Training.LastCheckpoint!);
        Assert.Equal(run.Model.ClassNames, loaded.ClassNames);
        Assert.Equal(run.Model.Mean, loaded.Mean);
        var images = stack(run.TestScenes.Take(4).Select(s => s.ImageTensor()).ToArray());
        run.Model.Network.eval();
        using (no_grad())
            Assert.True(run.Model.Network.forward(run.Model.Prepare(images)).allclose(loaded.Network.forward(loaded.Prepare(images)), 1e-4, 1e-5));
        var maps = loaded.Localize(images, 2);
        Assert.All(maps, m => Assert.Equal(2, m.Count));
        Assert.All(maps, m => Assert.Equal(new long[] { 64, 64 }, m[0].Cam.shape));
        var wrong = Assert.Throws<ArgumentException>(() => loaded.Localize(images, classes: [[10], [0], [0], [0]]));
        Assert.Contains("valid classes", wrong.Message);
    }

    [Fact]
    public void PretrainedGreyNetworkGivesTheSameScoresOnGreyColourImages()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var grey = new Aperture.Classification.VggGap(10, 1, [4, 6, 8]);
        // Non-trivial batch-norm statistics, so the copy of buffers matters too.
        grey.train();
        using (no_grad()) grey.forward(randn(8, 1, 16, 16) * 2 + 1);
        var colour = new Aperture.Classification.VggGap(10, 3, [4, 6, 8]);
        WeaklySupervisedLocalization.InitializeFrom(colour, grey);
        grey.eval();
        colour.eval();
        var g = randn(3, 1, 16, 16);
        using (no_grad())
            Assert.True(grey.forward(g).allclose(colour.forward(g.expand(-1, 3, -1, -1)), 1e-4, 1e-5));
        var other = new Aperture.Classification.VggGap(10, 3, [4, 6, 10]);
        var e = Assert.Throws<ArgumentException>(() => WeaklySupervisedLocalization.InitializeFrom(other, grey));
        Assert.Contains("same widths", e.Message);
    }
}
