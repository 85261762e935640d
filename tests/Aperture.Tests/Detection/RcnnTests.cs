using Aperture.Detection;
using Aperture.Detection.Rcnn;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class RcnnTests
{
    [Fact]
    public void HardNegativeMiningReducesTheObjective()
    {
        var rng = new Random(7);
        var pts = new List<float>();
        var pos = new List<int>(); var neg = new List<int>();
        void Add(double cx, double cy, double spread, List<int> into)
        {
            into.Add(pts.Count / 2);
            pts.Add((float)(cx + spread * (rng.NextDouble() - 0.5))); pts.Add((float)(cy + spread * (rng.NextDouble() - 0.5)));
        }
        for (int i = 0; i < 30; i++) Add(2, 2, 1, pos);
        for (int i = 0; i < 2000; i++) Add(-3, -3, 2, neg);     // easy negatives
        for (int i = 0; i < 15; i++) Add(0.6, 0.6, 0.4, neg);    // a few hard ones near the positives
        var x = pts.ToArray();
        var o = new SvmOptions { C = 1, PositiveWeight = 1, BiasMultiplier = 1, Epochs = 200, InitialNegativesPerPositive = 1, MiningRounds = 5 };
        var history = new List<double>();
        var svm = LinearSvm.TrainWithHardNegatives(x, 2, pos, neg, o, new Random(1), history);
        Assert.True(history.Count >= 2, "mining should run more than one round");
        Assert.True(history[^1] < 0.8 * history[0], $"objective {string.Join(" -> ", history.Select(v => v.ToString("F2")))}");
        // The mined SVM separates every positive from every negative, hard ones included.
        Assert.All(pos, r => Assert.True(svm.Score(x, r) > 0));
        Assert.All(neg, r => Assert.True(svm.Score(x, r) < 0));
        // Without mining (one round on the initial negatives) some hard negatives stay on the wrong side.
        var once = LinearSvm.TrainWithHardNegatives(x, 2, pos, neg, o with { MiningRounds = 1 }, new Random(1));
        Assert.Contains(neg, r => once.Score(x, r) > -1);
    }

    [Fact]
    public void RidgeRegressionRecoversALinearMap()
    {
        var f = randn(200, 5, generator: new TorchSharp.torch.Generator(3));
        var w = tensor(new float[] { 1, 0, 0, 2, 0, 1, 0, 0, -1, 0, 0.5f, 0, 0, 0, 1, 0, 0, 0, 0, 1 }, new long[] { 5, 4 });
        var t = f.matmul(w).add(tensor(new float[] { 0.1f, -0.2f, 0, 0.3f }));
        var fit = BoxRegressor.Fit(f, t, 1e-3);
        Assert.True(BoxRegressor.Predict(f, fit).sub(t).abs().max().item<float>() < 1e-3);
    }

    [Fact]
    public void SmallEndToEndRcnnDetectsOnItsTrainingScenes()
    {
        set_num_threads(2);
        var scenes = DetectorScenes.Make(12, seed: 9);
        using var dir = new Aperture.Tests.Data.TempDir();
        var o = new RcnnOptions { WarpSize = 32, ContextPadding = 8, HiddenSize = 32, RegionsPerImage = 16, SvmImages = 12, SvmProposalsPerImage = 32 };
        var training = new Aperture.Training.TrainingOptions { Epochs = 2, Optimizer = Aperture.Training.OptimizerKind.Adam, LearningRate = 1e-3, OutputDirectory = dir.Path,
            Progress = Aperture.Core.ProgressMode.Quiet, TensorBoard = false };
        var (det, stages) = RcnnTraining.Train(scenes, null, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray(), o, training, "jittered", CPU);
        Assert.True(stages.FineTuning.Succeeded);
        Assert.True(stages.SvmPositives > 0 && stages.RegressionExamples > 0);
        var d = det.Detect(scenes[0].Image, scenes[0].Proposals);
        Assert.True(d.Boxes.shape[0] > 0);
        // Its run folder is the whole detector (network, SVMs and regressors): reloaded, it gives the same detections.
        var (loaded, card, _) = Detectors.Load(dir.Path, CPU);
        Assert.Equal(("detector", "rcnn", "jittered"), (card.Family, card.Method, card.Proposals));
        var d2 = loaded.Detect(scenes[0].Image, scenes[0].Proposals);
        // Equal to rounding (a parallel Fast R-CNN test may switch the process's convolution kernels; see DetectionRunTests).
        Assert.Equal(d.Scores.shape, d2.Scores.shape);
        Assert.True(d.Scores.allclose(d2.Scores, rtol: 1e-5, atol: 1e-6), "the reloaded R-CNN's scores differ");
        foreach (var s in scenes) s.Dispose();
    }

    [Fact]
    public void TheSvmsAreMinedOverEveryProposalOfEveryTrainingImageByDefault()
    {
        set_num_threads(2);
        var scenes = DetectorScenes.Make(6, seed: 4);
        var rng = new Random(4);
        foreach (var s in scenes)   // more proposals per image than the old sample (64) took
        {
            using var p = Aperture.Detection.ProposalCache.Jittered(s.Boxes, 64, 64, perBox: 40, random: 120, jitter: 0.3, rng);
            s.SetProposals(p);
        }
        using var dir = new Aperture.Tests.Data.TempDir();
        var defaults = new RcnnOptions();
        Assert.Equal((0, 0), (defaults.SvmImages, defaults.SvmProposalsPerImage));
        var o = defaults with { WarpSize = 32, ContextPadding = 8, HiddenSize = 16, RegionsPerImage = 8 };
        var training = new Aperture.Training.TrainingOptions { Epochs = 1, Optimizer = Aperture.Training.OptimizerKind.Adam, LearningRate = 1e-3, OutputDirectory = dir.Path,
            Progress = Aperture.Core.ProgressMode.Quiet, TensorBoard = false };
        var names = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var (_, stages) = RcnnTraining.Train(scenes, null, names, o, training, "jittered", CPU);
        long proposals = scenes.Sum(s => s.Proposals!.shape[0]), boxes = scenes.Sum(s => s.Boxes.shape[0]);
        Assert.True(scenes.All(s => s.Proposals!.shape[0] > 100), "every image has over 100 proposals");
        // Every proposal of every image entered the pool the SVMs were mined from; every ground-truth box is a positive.
        Assert.Equal(proposals, stages.SvmNegatives);
        Assert.Equal(boxes, stages.SvmPositives);

        // A sample, when asked for, is a sample.
        using var dir2 = new Aperture.Tests.Data.TempDir();
        var (_, sampled) = RcnnTraining.Train(scenes, null, names, o with { SvmImages = 3, SvmProposalsPerImage = 5 }, training with { OutputDirectory = dir2.Path }, "jittered", CPU);
        Assert.Equal(3 * 5, sampled.SvmNegatives);
        foreach (var s in scenes) s.Dispose();
    }
}
