using Aperture.Core;
using Aperture.Detection;
using Aperture.Detection.FastRcnn;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class FastRcnnTests
{
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

    [Fact]
    public void FlipAveragingDetectsTheMirroredSceneAsTheMirrorOfTheScene()
    {
        // The two passes of the mirrored scene are the scene's two passes swapped, so its detections are the mirror of the
        // scene's; a single pass is not mirror-symmetric (the kernels are not), so this fails if the flip is skipped or wrong.
        var scenes = DetectorScenes.Make(1, seed: 3);
        var im = scenes[0];
        int w = im.Width;
        Aperture.Core.Torch.Seed(2);
        var net = new FastRcnnNetwork(10, 7, 64, widths: new[] { 8, 16, 32 });
        var names = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var options = new FastRcnnOptions { HiddenSize = 64, TestFlip = true, ScoreThreshold = 0.05 };
        var a = new FastRcnnDetector(net, names, options).Detect(im.Image, im.Proposals);
        var b = new FastRcnnDetector(net, names, options).Detect(im.Image.flip(2), FastRcnnBatch.FlipBoxes(im.Proposals!, w));
        Assert.True(a.Scores.shape[0] > 0);
        Assert.Equal(a.Labels.data<long>().ToArray(), b.Labels.data<long>().ToArray());
        Assert.True(a.Scores.allclose(b.Scores, rtol: 1e-5, atol: 1e-6));
        Assert.True(a.Boxes.allclose(FastRcnnBatch.FlipBoxes(b.Boxes, w), rtol: 1e-4, atol: 1e-3));
        var single = new FastRcnnDetector(net, names, options with { TestFlip = false });
        var c = single.Detect(im.Image, im.Proposals);
        var d = single.Detect(im.Image.flip(2), FastRcnnBatch.FlipBoxes(im.Proposals!, w));
        Assert.False(c.Scores.shape[0] == d.Scores.shape[0] && c.Scores.allclose(d.Scores, rtol: 1e-5, atol: 1e-6));
        im.Dispose();
    }
}
