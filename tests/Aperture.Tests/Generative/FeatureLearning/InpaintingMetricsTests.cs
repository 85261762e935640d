using Aperture.Generative.ContextEncoders;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

public class InpaintingMetricsTests
{
    [Fact]
    public void AHandMadeCaseGivesTheKnownL1L2AndPsnr()
    {
        using var scope = NewDisposeScope();
        // Image 1: two masked pixels off by 0.1 and 0.3 (MSE 0.05); image 2: one masked pixel off by 0.2 (MSE 0.04).
        // Unmasked pixels are wildly wrong and must not count.
        var truth = zeros(2, 1, 2, 2);
        var predicted = tensor(new float[] { 0.1f, 0.3f, 0.9f, 0.9f, 0.2f, 0.7f, 0.7f, 0.7f }, [2, 1, 2, 2]);
        var mask = tensor(new float[] { 1, 1, 0, 0, 1, 0, 0, 0 }, [2, 1, 2, 2]);
        var s = InpaintingMetrics.Score("x", predicted, truth, mask);
        Assert.Equal((0.1 + 0.3 + 0.2) / 3, s.L1, 1e-6);
        Assert.Equal((0.01 + 0.09 + 0.04) / 3, s.L2, 1e-6);
        Assert.Equal((10 * Math.Log10(1 / 0.05) + 10 * Math.Log10(1 / 0.04)) / 2, s.Psnr, 1e-3); // 13.0103 and 13.9794 dB
    }

    [Fact]
    public void AnExactFillIsCappedAndAnImageWithoutHoleIsRefused()
    {
        using var scope = NewDisposeScope();
        var x = rand(3, 1, 4, 4);
        var mask = ones(3, 1, 4, 4);
        Assert.Equal(InpaintingMetrics.MaxPsnr, InpaintingMetrics.Score("x", x, x, mask).Psnr);
        mask[1] = 0;
        Assert.Throws<ArgumentException>(() => InpaintingMetrics.Score("x", x, x, mask));
        Assert.Throws<ArgumentException>(() => InpaintingMetrics.Score("x", x, rand(2, 1, 4, 4), mask));
    }
}
