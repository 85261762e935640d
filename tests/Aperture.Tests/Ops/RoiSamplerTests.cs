using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Tests.Ops;

public class RoiSamplerTests
{
    /// <summary>Fast R-CNN's target normalisation (weights 10, 10, 5, 5), as the detector uses.</summary>
    private static readonly BoxCoder Coder = new(10, 10, 5, 5);

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
        var s = RoiSampler.Sample(proposals, gt, tensor(new long[] { 7 }), Coder, 64, 0.25, 0.5, 0.1, 0.5, new Random(1));
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
        for (int i = 0; i < 64; i++) Assert.Equal(iou[i], check[i], 1e-4);
        Assert.Equal(0f, s.Targets.index(s.Labels.eq(0)).abs().sum().item<float>());
    }

    [Fact]
    public void GroundTruthBoxesAreAddedAsForeground()
    {
        var gt = tensor(new float[] { 5, 5, 25, 25 }, new long[] { 1, 4 });
        var far = tensor(new float[] { 40, 40, 60, 60, 30, 0, 50, 20 }, new long[] { 2, 4 });
        var s = RoiSampler.Sample(far, gt, tensor(new long[] { 2 }), Coder, 8, 0.25, 0.5, 0.1, 0.5, new Random(1));
        Assert.Equal(3, s.Rois.shape[0]);
        Assert.Equal(1, s.Labels.eq(3).sum().item<long>());
    }
}
