using Aperture.Core;
using Aperture.Detection;
using Aperture.Detection.SlidingWindow;
using Aperture.Ops;
using Aperture.Tests.Data;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>Trains from a seed through libtorch's global generator, so it runs apart from tests that draw from it in parallel.</summary>
[Collection(Aperture.Tests.Training.TorchGlobalRandomCollection.Name)]
public class SlidingWindowTests
{
    /// <summary>Grey noise with one bright square of side 20–44 px (class 0).</summary>
    private static DetectionImage Planted(Random rng, string id, out float[] box)
    {
        const int size = 96;
        var img = new byte[3 * size * size];
        for (int i = 0; i < img.Length; i++) img[i] = (byte)(60 + rng.Next(60));
        int s = 20 + rng.Next(25), x0 = rng.Next(size - s), y0 = rng.Next(size - s);
        for (int c = 0; c < 3; c++)
            for (int y = y0; y < y0 + s; y++)
                for (int x = x0; x < x0 + s; x++) img[c * size * size + y * size + x] = (byte)(200 + rng.Next(40));
        box = new float[] { x0, y0, x0 + s, y0 + s };
        return new DetectionImage(id, tensor(img, new long[] { 3, size, size }), tensor(box, new long[] { 1, 4 }), tensor(new long[] { 0 }));
    }

    [Fact]
    public void FindsAPlantedObject()
    {
        set_num_threads(2);
        var rng = new Random(4);
        var train = Enumerable.Range(0, 48).Select(i => Planted(rng, $"t{i}", out _)).ToList();
        using var dir = new TempDir();
        var o = new SlidingWindowOptions { HiddenSize = 16, Sizes = [20, 28, 40], AspectRatios = [1], PositivesPerImage = 6, NegativesPerImage = 10 };
        var training = new TrainingOptions { Epochs = 8, Optimizer = OptimizerKind.Adam, LearningRate = 3e-3, OutputDirectory = dir.Path, Progress = ProgressMode.Quiet, TensorBoard = false };
        var (det, result) = SlidingWindowDetector.Train(train, null, ["square"], o, training, CPU);
        Assert.True(result.Succeeded);
        int hits = 0;
        for (int t = 0; t < 5; t++)
        {
            using var test = Planted(rng, $"x{t}", out var planted);
            var d = det.Detect(test.Image);
            Assert.True(d.Boxes.shape[0] > 0);
            var top = Boxes.ToArray(d.Boxes);
            if (BoxList.At(top, 0).Iou(BoxList.At(planted, 0)) >= 0.5) hits++;
        }
        Assert.True(hits >= 4, $"the best window covered the planted square in only {hits} of 5 images");
        foreach (var im in train) im.Dispose();
    }
}
