using Aperture.Segmentation;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

public class DiceLossTests
{
    /// <summary>Logits [1, 2, 2, 2] whose softmax is 0.25 / 0.75 everywhere (class 1 − class 0 = ln 3).</summary>
    private static Tensor QuarterLogits() => stack(new[] { zeros(1, 2, 2, ScalarType.Float64), full(1, 2, 2, Math.Log(3), ScalarType.Float64) }, 1);

    [Fact]
    public void KnownValuesByHand()
    {
        using var scope = NewDisposeScope();
        var logits = QuarterLogits();
        var labels = tensor(new long[] { 0, 1, 1, 1 }, new long[] { 1, 2, 2 });
        var plain = new DiceLossOptions { Epsilon = 0 };
        // class 1: 2·(3·0.75) / (3 + 3) = 0.75; class 0: 2·0.25 / (1 + 1) = 0.25
        var dice = DiceLoss.PerClass(logits, labels, plain);
        Assert.Equal(0.25, dice[0].item<double>(), 12);
        Assert.Equal(0.75, dice[1].item<double>(), 12);
        Assert.Equal(0.5, DiceLoss.Compute(logits, labels, plain).item<double>(), 12);
        Assert.Equal(0.25, DiceLoss.Compute(logits, labels, plain with { IncludeBackground = false }).item<double>(), 12);
        // squared denominator: class 1: 4.5 / (4·0.5625 + 3); class 0: 0.5 / (4·0.0625 + 1)
        var squared = DiceLoss.PerClass(logits, labels, plain with { SquaredDenominator = true });
        Assert.Equal(0.5 / 1.25, squared[0].item<double>(), 12);
        Assert.Equal(4.5 / 5.25, squared[1].item<double>(), 12);
        // ignore label 2 at one class-1 position: class 1: 2·1.5 / (2.25 + 2); class 0: 0.5 / (0.75 + 1)
        var ignored = DiceLoss.PerClass(logits, tensor(new long[] { 0, 1, 2, 1 }, new long[] { 1, 2, 2 }), plain with { IgnoreLabel = 2 });
        Assert.Equal(0.5 / 1.75, ignored[0].item<double>(), 12);
        Assert.Equal(3 / 4.25, ignored[1].item<double>(), 12);
        // ε smoothing: a class absent from both truth and prediction counts as perfect, not 0/0
        var eps = DiceLoss.PerClass(full(1, 3, 2, 2, -30.0, ScalarType.Float64).index_put_(30.0, TensorIndex.Colon, TensorIndex.Slice(0, 2)),
            zeros(1, 2, 2, ScalarType.Int64), new DiceLossOptions { Epsilon = 1e-5 });
        Assert.Equal(1.0, eps[2].item<double>(), 1e-4);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    public void PerfectPredictionGivesZeroLoss(int spatialDims, bool includeBackground)
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(3);
        long[] shape = spatialDims == 2 ? [2, 6, 5] : [2, 4, 5, 3];
        var labels = randint(0, 4, shape, ScalarType.Int64);
        var order = new long[] { 0, spatialDims + 1 }.Concat(Enumerable.Range(1, spatialDims).Select(d => (long)d)).ToArray();
        var logits = nn.functional.one_hot(labels, 4).permute(order).to_type(ScalarType.Float32).mul(40);
        var loss = DiceLoss.Compute(logits, labels, new DiceLossOptions { IncludeBackground = includeBackground });
        Assert.True(loss.item<float>() < 1e-5, $"loss {loss.item<float>()}");
        // and a wrong prediction is far from zero
        var wrong = DiceLoss.Compute(logits.roll(1, 1), labels, new DiceLossOptions { IncludeBackground = includeBackground });
        Assert.True(wrong.item<float>() > 0.9, $"loss {wrong.item<float>()}");
    }

    /// <summary>The definition written out with loops over doubles: softmax over all K channels at every voxel.</summary>
    private static double[] NaiveDice(double[,,] logits, int[,] labels, bool squared, double eps, int? ignore)
    {
        int n = labels.GetLength(0), v = labels.GetLength(1), k = logits.GetLength(1);
        var inter = new double[k]; var sp = new double[k]; var sg = new double[k];
        for (int i = 0; i < n; i++)
            for (int x = 0; x < v; x++)
            {
                if (labels[i, x] == ignore) continue;
                double z = 0;
                for (int c = 0; c < k; c++) z += Math.Exp(logits[i, c, x]);
                for (int c = 0; c < k; c++)
                {
                    double p = Math.Exp(logits[i, c, x]) / z, g = labels[i, x] == c ? 1 : 0;
                    inter[c] += p * g; sp[c] += squared ? p * p : p; sg[c] += g;
                }
            }
        return Enumerable.Range(0, k).Select(c => (2 * inter[c] + eps) / (sp[c] + sg[c] + eps)).ToArray();
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(false, 3)]
    public void MatchesTheDefinitionWrittenAsLoops(bool squared, int? ignore)
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(5);
        var logits = randn(new long[] { 2, 3, 3, 4, 2 }, ScalarType.Float64).mul(2);
        var labels = randint(0, ignore is null ? 3 : 4, new long[] { 2, 3, 4, 2 }, ScalarType.Int64);
        var options = new DiceLossOptions { SquaredDenominator = squared, Epsilon = 1e-3, IgnoreLabel = ignore };
        var dice = DiceLoss.PerClass(logits, labels, options).data<double>().ToArray();
        var l = logits.reshape(2, 3, 24); var y = labels.reshape(2, 24);
        var la = new double[2, 3, 24]; var ya = new int[2, 24];
        for (int i = 0; i < 2; i++)
            for (int x = 0; x < 24; x++)
            {
                ya[i, x] = (int)y[i, x].item<long>();
                for (int c = 0; c < 3; c++) la[i, c, x] = l[i, c, x].item<double>();
            }
        var expected = NaiveDice(la, ya, squared, 1e-3, ignore);
        for (int c = 0; c < 3; c++) Assert.Equal(expected[c], dice[c], 10);
        double withoutBackground = 1 - (expected[1] + expected[2]) / 2;
        Assert.Equal(withoutBackground, DiceLoss.Compute(logits, labels, options with { IncludeBackground = false }).item<double>(), 10);
    }

    [Theory]
    [InlineData(true, false, null, DiceReduction.Batch)]
    [InlineData(false, false, null, DiceReduction.Batch)]
    [InlineData(false, true, null, DiceReduction.Batch)]
    [InlineData(true, true, 2, DiceReduction.Batch)]
    [InlineData(false, false, 2, DiceReduction.PerExample)]
    [InlineData(true, false, null, DiceReduction.PerExample)]
    public void GradientMatchesFiniteDifferences3D(bool includeBackground, bool squared, int? ignore, DiceReduction reduction)
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(11);
        var x0 = randn(new long[] { 2, 3, 3, 2, 2 }, ScalarType.Float64);
        var labels = randint(0, 3, new long[] { 2, 3, 2, 2 }, ScalarType.Int64);
        if (ignore is int ig) labels[0, 0, 0, 0] = tensor((long)ig);
        var options = new DiceLossOptions { IncludeBackground = includeBackground, SquaredDenominator = squared, IgnoreLabel = ignore, Reduction = reduction, Epsilon = 1e-4 };
        var x = x0.clone().requires_grad_(true);
        DiceLoss.Compute(x, labels, options).backward();
        var analytic = x.grad!.flatten();
        var flat = x0.flatten();
        const double h = 1e-6;
        double maxErr = 0;
        for (int i = 0; i < flat.shape[0]; i++)
        {
            using var inner = NewDisposeScope();
            var plus = flat.clone(); plus[i] += h;
            var minus = flat.clone(); minus[i] -= h;
            double fp = DiceLoss.Compute(plus.reshape(x0.shape), labels, options).item<double>();
            double fm = DiceLoss.Compute(minus.reshape(x0.shape), labels, options).item<double>();
            maxErr = Math.Max(maxErr, Math.Abs((fp - fm) / (2 * h) - analytic[i].item<double>()));
        }
        Assert.True(maxErr < 1e-7, $"max |numeric − analytic| = {maxErr}");
        // the background logits get a gradient even when the background term is dropped: the softmax couples them
        Assert.True(x.grad![.., 0].abs().sum().item<double>() > 1e-6);
        // the ignored voxel gets none
        if (ignore is not null) Assert.Equal(0, x.grad![0, .., 0, 0, 0].abs().sum().item<double>(), 12);
    }

    [Fact]
    public void GradientMatchesFiniteDifferences2D()
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(12);
        var x0 = randn(new long[] { 1, 4, 3, 3 }, ScalarType.Float64);
        var labels = randint(0, 4, new long[] { 1, 3, 3 }, ScalarType.Int64);
        var options = new DiceLossOptions { IncludeBackground = false };
        var x = x0.clone().requires_grad_(true);
        DiceLoss.Compute(x, labels, options).backward();
        var flat = x0.flatten();
        for (int i = 0; i < flat.shape[0]; i++)
        {
            using var inner = NewDisposeScope();
            var plus = flat.clone(); plus[i] += 1e-6;
            var minus = flat.clone(); minus[i] -= 1e-6;
            double numeric = (DiceLoss.Compute(plus.reshape(x0.shape), labels, options).item<double>()
                - DiceLoss.Compute(minus.reshape(x0.shape), labels, options).item<double>()) / 2e-6;
            Assert.Equal(numeric, x.grad!.flatten()[i].item<double>(), 1e-7);
        }
    }

    [Fact]
    public void BadInputIsRefusedWithAClearMessage()
    {
        using var scope = NewDisposeScope();
        var logits = zeros(1, 3, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => DiceLoss.Compute(logits, full(1, 2, 2, 3L)));
        Assert.Contains("0..2", e.Message);
        Assert.Throws<ArgumentException>(() => DiceLoss.Compute(logits, zeros(1, 2, 3, ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => DiceLoss.Compute(logits, zeros(1, 2, 2)));
        Assert.Throws<ArgumentException>(() => DiceLoss.Compute(zeros(1, 1, 2, 2), zeros(1, 2, 2, ScalarType.Int64), new DiceLossOptions { IncludeBackground = false }));
        Assert.Throws<ArgumentException>(() => DiceLoss.Compute(logits, zeros(1, 2, 2, ScalarType.Int64), new DiceLossOptions { Epsilon = -1 }));
        // uint8 labels are fine, and the ignore label may lie outside 0..K−1
        DiceLoss.Compute(logits, full(1, 2, 2, (byte)255, ScalarType.Byte).index_put_(1, 0, 0, 0), new DiceLossOptions { IgnoreLabel = 255 });
    }
}
