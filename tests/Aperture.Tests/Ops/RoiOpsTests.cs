using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Tests.Ops;

public class RoiOpsTests
{
    private static (Tensor Input, Tensor Rois, double Scale, int H, int W) Ref(System.Text.Json.JsonElement r)
    {
        var size = r.GetProperty("output_size");
        return (Reference.ToTensor(r.GetProperty("input")), Reference.ToTensor(r.GetProperty("boxes")),
            r.GetProperty("spatial_scale").GetDouble(), size[0].GetInt32(), size[1].GetInt32());
    }

    [Fact]
    public void RoiPoolForwardAndGradientMatchTorchvision()
    {
        using var scope = NewDisposeScope();
        var r = Reference.Load("roi_ops.json");
        var (input, rois, scale, h, w) = Ref(r);
        var x = input.clone().requires_grad_(true);
        var y = RoiPool.Apply(x, rois, h, w, scale);
        var expected = Reference.ToTensor(r.GetProperty("roi_pool"));
        Assert.Equal(expected.shape, y.shape);
        Assert.True(y.allclose(expected, 1e-6, 1e-6), $"max diff {(y - expected).abs().max().item<float>()}");
        var gy = Reference.ToTensor(r.GetProperty("roi_pool_grad_output"));
        y.backward(new[] { gy });
        var gx = Reference.ToTensor(r.GetProperty("roi_pool_grad_input"));
        Assert.True(x.grad!.allclose(gx, 1e-5, 1e-5), $"max grad diff {(x.grad! - gx).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoiAlignMatchesTorchvision(bool aligned)
    {
        using var scope = NewDisposeScope();
        var r = Reference.Load("roi_ops.json");
        var (input, rois, scale, h, w) = Ref(r);
        var y = RoiAlign.Apply(input, rois, h, w, scale, samplingRatio: 2, aligned: aligned);
        var expected = Reference.ToTensor(r.GetProperty(aligned ? "roi_align_sampling2_aligned_true" : "roi_align_sampling2_aligned_false"));
        Assert.True(y.allclose(expected, 1e-5, 1e-5), $"max diff {(y - expected).abs().max().item<float>()}");
        using var module = new RoiAlign(h, w, scale, 2, aligned);
        Assert.True(module.call(input, rois).allclose(y));
    }

    private static Tensor RandomRois(int seed, int k, int n, float size)
    {
        var rng = new Random(seed);
        var a = new float[k * 5];
        for (int i = 0; i < k; i++)
        {
            float x1 = (float)rng.NextDouble() * size, y1 = (float)rng.NextDouble() * size;
            a[5 * i] = rng.Next(n); a[5 * i + 1] = x1; a[5 * i + 2] = y1;
            a[5 * i + 3] = x1 + (float)rng.NextDouble() * size * 0.7f; a[5 * i + 4] = y1 + (float)rng.NextDouble() * size * 0.7f;
        }
        return tensor(a, new long[] { k, 5 });
    }

    /// <summary>The obvious loop: every RoI, channel and bin, straight from the definition.</summary>
    private static double[,,,] SlowRoiPool(double[,,,] x, float[,] rois, int ph, int pw, double scale)
    {
        int k = rois.GetLength(0), c = x.GetLength(1), h = x.GetLength(2), w = x.GetLength(3);
        var y = new double[k, c, ph, pw];
        for (int r = 0; r < k; r++)
        {
            int b = (int)rois[r, 0];
            int x1 = (int)Math.Round(rois[r, 1] * scale, MidpointRounding.AwayFromZero), y1 = (int)Math.Round(rois[r, 2] * scale, MidpointRounding.AwayFromZero);
            int x2 = (int)Math.Round(rois[r, 3] * scale, MidpointRounding.AwayFromZero), y2 = (int)Math.Round(rois[r, 4] * scale, MidpointRounding.AwayFromZero);
            float bh = Math.Max(y2 - y1 + 1, 1) / (float)ph, bw = Math.Max(x2 - x1 + 1, 1) / (float)pw;
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < ph; i++)
                    for (int j = 0; j < pw; j++)
                    {
                        int hs = Math.Clamp((int)Math.Floor(i * bh) + y1, 0, h), he = Math.Clamp((int)Math.Ceiling((i + 1) * bh) + y1, 0, h);
                        int ws = Math.Clamp((int)Math.Floor(j * bw) + x1, 0, w), we = Math.Clamp((int)Math.Ceiling((j + 1) * bw) + x1, 0, w);
                        double m = double.NegativeInfinity;
                        for (int yy = hs; yy < he; yy++) for (int xx = ws; xx < we; xx++) m = Math.Max(m, x[b, ch, yy, xx]);
                        y[r, ch, i, j] = double.IsNegativeInfinity(m) ? 0 : m;
                    }
        }
        return y;
    }

    [Fact]
    public void RoiPoolAgreesWithTheSlowLoop()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var x = randn(new long[] { 2, 4, 13, 17 }, dtype: ScalarType.Float64, generator: gen);
        var rois = RandomRois(1, 30, 2, 70);
        var y = RoiPool.Apply(x, rois, 4, 3, 0.25);
        var xa = new double[2, 4, 13, 17];
        var flat = x.data<double>().ToArray();
        Buffer.BlockCopy(flat, 0, xa, 0, flat.Length * 8);
        var ra = new float[30, 5];
        Buffer.BlockCopy(rois.data<float>().ToArray(), 0, ra, 0, 150 * 4);
        var slow = SlowRoiPool(xa, ra, 4, 3, 0.25);
        var ya = y.data<double>().ToArray();
        var sa = new double[ya.Length];
        Buffer.BlockCopy(slow, 0, sa, 0, sa.Length * 8);
        Assert.Equal(sa, ya);
    }

    [Fact]
    public void RoiPoolGivesTheSameOutputAndGradientForAChannelsLastMap()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(11);
        var x = randn(new long[] { 2, 12, 9, 11 }, generator: gen);
        var rois = RandomRois(3, 25, 2, 44);
        var weights = randn(new long[] { 25, 12, 3, 3 }, generator: gen);
        Tensor Grad(Tensor input, out Tensor y)
        {
            var leaf = input.detach().requires_grad_(true);
            y = RoiPool.Apply(leaf, rois, 3, 3, 0.25);
            (y * weights).sum().backward();
            return leaf.grad!;
        }
        var gPlain = Grad(x.contiguous(), out var yPlain);
        var last = Aperture.Nn.ChannelsLast.Of(x);
        Assert.False(last.is_contiguous()); // stored [N, H, W, C]
        var gLast = Grad(last, out var yLast);
        Assert.True(yPlain.eq(yLast).all().item<bool>());
        Assert.True(gPlain.eq(gLast).all().item<bool>());
    }

    [Fact]
    public void RoiAlignsDirectFloat32PathEqualsTheSparseProductAndItsGradient()
    {
        // Float32 on the CPU runs the direct sums (and their hand-written backward, a custom autograd function);
        // float64 runs the sparse product whose gradient autograd derives (and which passes the numerical check below).
        using var scope = NewDisposeScope();
        var gen = new Generator(5);
        var rois = RandomRois(4, 40, 2, 50);
        // 20 channels: SIMD chunks and a scalar tail; 64: chunks only.
        foreach (var (channels, ratio, aligned) in new[] { (20, 2, true), (20, 0, true), (20, 2, false), (64, 2, true), (64, 0, false) })
        {
            var x = Aperture.Nn.ChannelsLast.Of(randn(new long[] { 2, channels, 10, 13 }, generator: gen));
            var x64 = x.to_type(ScalarType.Float64).detach().requires_grad_(true);
            var y64 = RoiAlign.Apply(x64, rois, 7, 7, 0.25, ratio, aligned);
            var weights = randn(y64.shape, dtype: ScalarType.Float64, generator: gen);
            (y64 * weights).sum().backward();
            Tensor inference;
            using (no_grad()) inference = RoiAlign.Apply(x, rois, 7, 7, 0.25, ratio, aligned);
            var x32 = x.detach().requires_grad_(true);
            var y32 = RoiAlign.Apply(x32, rois, 7, 7, 0.25, ratio, aligned);
            (y32 * weights.to_type(ScalarType.Float32)).sum().backward();
            string at = $"channels {channels}, ratio {ratio}, aligned {aligned}";
            Assert.Equal(y64.shape, inference.shape);
            Assert.True(inference.allclose(y64.detach().to_type(ScalarType.Float32), rtol: 1e-5, atol: 1e-5), at);
            Assert.True(y32.detach().eq(inference).all().item<bool>(), at);
            Assert.True(x32.grad!.allclose(x64.grad!.to_type(ScalarType.Float32), rtol: 1e-4, atol: 1e-4), $"gradient, {at}");
        }
    }

    /// <summary>Finite differences in float64 against autograd for a weighted sum of the outputs.</summary>
    private static void GradCheck(Func<Tensor, Tensor> op, Tensor x, int seed)
    {
        using var scope = NewDisposeScope();
        var xg = x.clone().requires_grad_(true);
        var y = op(xg);
        var weights = randn(y.shape, dtype: ScalarType.Float64, generator: new Generator((ulong)seed));
        (y * weights).sum().backward();
        var analytic = xg.grad!.data<double>().ToArray();
        var xa = x.data<double>().ToArray();
        double eps = 1e-6, worst = 0;
        for (int i = 0; i < xa.Length; i++)
        {
            using var inner = NewDisposeScope();
            var plus = (double[])xa.Clone(); plus[i] += eps;
            var minus = (double[])xa.Clone(); minus[i] -= eps;
            double fp = (op(tensor(plus, x.shape)) * weights).sum().item<double>();
            double fm = (op(tensor(minus, x.shape)) * weights).sum().item<double>();
            worst = Math.Max(worst, Math.Abs((fp - fm) / (2 * eps) - analytic[i]));
        }
        Assert.True(worst < 1e-6, $"largest gradient error {worst}");
    }

    [Fact]
    public void RoiPoolGradientPassesANumericalCheck()
    {
        var x = randn(new long[] { 2, 2, 7, 9 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var rois = RandomRois(2, 6, 2, 36);
        GradCheck(t => RoiPool.Apply(t, rois, 3, 2, 0.25), x, 11);
        // The gradient is a scatter-add: it sums to the sum of output gradients of non-empty bins.
        using var xg = x.clone().requires_grad_(true);
        using var y = RoiPool.Apply(xg, rois, 3, 2, 0.25);
        y.sum().backward();
        Assert.Equal((y != 0).sum().item<long>(), (long)Math.Round(xg.grad!.sum().item<double>()));
    }

    [Fact]
    public void RoiAlignGradientPassesANumericalCheck()
    {
        var x = randn(new long[] { 1, 2, 6, 8 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var rois = RandomRois(5, 5, 1, 30);
        GradCheck(t => RoiAlign.Apply(t, rois, 2, 2, 0.25, 2, true), x, 12);
        GradCheck(t => RoiAlign.Apply(t, rois, 3, 2, 0.25, 0, false), x, 13);
    }

    [Fact]
    public void RoiAlignOfAConstantMapIsThatConstant()
    {
        using var scope = NewDisposeScope();
        var x = full(new long[] { 1, 3, 10, 10 }, 2.5f);
        var rois = tensor(new float[] { 0, 4, 4, 30, 36, 0, 0, 0, 39, 39 }, new long[] { 2, 5 });
        var y = RoiAlign.Apply(x, rois, 5, 5, 0.25, 2, true);
        Assert.True(y.allclose(full_like(y, 2.5f), 1e-5, 1e-5));
    }

    [Fact]
    public void BadRoisGiveClearErrorsAndEmptyRoisGiveEmptyOutput()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 2, 5, 5);
        Assert.Contains("batch index", Assert.Throws<ArgumentException>(() => RoiPool.Apply(x, tensor(new float[] { 1, 0, 0, 2, 2 }, new long[] { 1, 5 }), 2, 2, 1)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => RoiAlign.Apply(x, tensor(new float[] { 0, 0, float.NaN, 2, 2 }, new long[] { 1, 5 }), 2, 2, 1)).Message);
        Assert.Throws<ArgumentException>(() => RoiPool.Apply(x, zeros(3, 4), 2, 2, 1));
        Assert.Equal(new long[] { 0, 2, 2, 2 }, RoiPool.Apply(x, zeros(0, 5), 2, 2, 1).shape);
        Assert.Equal(new long[] { 0, 2, 2, 2 }, RoiAlign.Apply(x, zeros(0, 5), 2, 2, 1).shape);
        // A RoI entirely outside the map pools to zeros, as in torchvision.
        var far = RoiPool.Apply(x + 1, tensor(new float[] { 0, 100, 100, 120, 120 }, new long[] { 1, 5 }), 2, 2, 1);
        Assert.Equal(0f, far.abs().sum().item<float>());
    }
}
