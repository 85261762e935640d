using Aperture.Detection;
using Aperture.Detection.FastRcnn;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class FastRcnnTests
{
    [Fact]
    public void RoiSamplingKeepsForegroundFractionAndBackgroundRange()
    {
        // One 40x40 ground-truth box and proposals spread over every IoU.
        var gt = tensor(new float[] { 20, 20, 60, 60 }, new long[] { 1, 4 });
        var rng = new Random(3);
        var props = new List<float>();
        for (int i = 0; i < 400; i++)
        {
            float dx = (float)(rng.NextDouble() * 60 - 30), dy = (float)(rng.NextDouble() * 60 - 30);
            props.AddRange(new[] { 20 + dx, 20 + dy, 60 + dx, 60 + dy });
        }
        var proposals = tensor(props.ToArray(), new long[] { 400, 4 });
        var s = RoiSampler.Sample(proposals, gt, tensor(new long[] { 7 }), FastRcnnDetector.Coder, 64, 0.25, 0.5, 0.1, 0.5, new Random(1));
        Assert.Equal(64, s.Rois.shape[0]);
        var labels = s.Labels.data<long>().ToArray();
        var iou = s.Overlaps.data<float>().ToArray();
        Assert.Equal(16, labels.Count(l => l > 0));
        for (int i = 0; i < 64; i++)
        {
            if (labels[i] > 0) { Assert.Equal(8, labels[i]); Assert.True(iou[i] >= 0.5); }
            else Assert.InRange(iou[i], 0.1f, 0.4999f);
        }
        // Recomputed overlaps agree with the sampler's, and background rows have zero regression targets.
        var check = Boxes.Iou(s.Rois, gt).squeeze(1).data<float>().ToArray();
        for (int i = 0; i < 64; i++) Assert.Equal(iou[i], check[i], 4);
        Assert.Equal(0f, s.Targets.index(s.Labels.eq(0)).abs().sum().item<float>());
    }

    [Fact]
    public void GroundTruthBoxesAreAddedAsForeground()
    {
        var gt = tensor(new float[] { 5, 5, 25, 25 }, new long[] { 1, 4 });
        var far = tensor(new float[] { 40, 40, 60, 60, 30, 0, 50, 20 }, new long[] { 2, 4 });
        var s = RoiSampler.Sample(far, gt, tensor(new long[] { 2 }), FastRcnnDetector.Coder, 8, 0.25, 0.5, 0.1, 0.5, new Random(1));
        Assert.Equal(3, s.Rois.shape[0]);
        Assert.Equal(1, s.Labels.eq(3).sum().item<long>());
    }

    [Fact]
    public void TinyEndToEndTrainingReducesTheLoss()
    {
        set_num_threads(2);
        var scenes = DetectorScenes.Make(20, seed: 5);
        using var dir = new TempDir();
        var options = new FastRcnnOptions { RoisPerImage = 32, HiddenSize = 64 };
        Aperture.Core.Torch.Seed(1);
        var net = new FastRcnnNetwork(10, 7, 64, widths: new[] { 8, 16, 32 });
        var training = new TrainingOptions { Epochs = 1, Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, OutputDirectory = dir.Path, Progress = ProgressMode.Quiet, TensorBoard = false };
        var task = new FastRcnnTraining(net, options, training);
        // Loss on a fixed set of batches before and after a few epochs of steps.
        double Loss() { net.eval(); using var g = no_grad(); var m = task.Evaluate(FastRcnnTraining.Batches(scenes, options, 1, 0)); return m["loss"]; }
        double before = Loss();
        for (int epoch = 1; epoch <= 6; epoch++)
        {
            net.train();
            foreach (var b in FastRcnnTraining.Batches(scenes, options, 1, epoch))
            {
                using var scope = NewDisposeScope();
                task.TrainStep(b);
                b.Dispose();
            }
        }
        double after = Loss();
        Assert.True(after < 0.7 * before, $"loss {before:F3} -> {after:F3}");
        var det = new FastRcnnDetector(net, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray(), options).Detect(scenes[0].Image, scenes[0].Proposals);
        Assert.Equal(det.Boxes.shape[0], det.Scores.shape[0]);
        foreach (var s in scenes) s.Dispose();
    }
}
