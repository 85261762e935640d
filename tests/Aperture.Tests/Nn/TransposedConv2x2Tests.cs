using Aperture.Nn;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Nn;

public class TransposedConv2x2Tests
{
    private static readonly long[] Stride2 = { 2, 2 };

    /// <summary>Largest difference within 1e-5 of the reference's largest magnitude (float32 summation order).</summary>
    private static void Close(Tensor actual, Tensor expected, string what, double tolerance = 1e-5)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (actual - expected).abs().max().ToDouble(), scale = expected.abs().max().ToDouble();
        Assert.True(diff <= tolerance * scale + 1e-12, $"{what}: differs by {diff} (scale {scale})");
    }

    /// <summary>Output and the x, weight and bias gradients of our op and of libtorch's conv_transpose2d for one case.</summary>
    private static void CompareWithLibtorch(int n, int cin, int cout, int h, int w, bool withBias, bool channelsLast, ScalarType dtype, int seed)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)seed);
        var x0 = randn(new long[] { n, cin, h, w }, dtype: dtype, generator: gen);
        var weight0 = randn(new long[] { cin, cout, 2, 2 }, dtype: dtype, generator: gen);
        var bias0 = withBias ? randn(new long[] { cout }, dtype: dtype, generator: gen) : null;
        var upstream = randn(new long[] { n, cout, 2 * h, 2 * w }, dtype: dtype, generator: gen);
        string at = $"n={n} {cin}->{cout} {h}x{w} bias={withBias} channelsLast={channelsLast} {dtype}";

        (Tensor Y, Tensor Dx, Tensor Dw, Tensor? Db) Run(Func<Tensor, Tensor, Tensor?, Tensor> op)
        {
            var x = (channelsLast ? ChannelsLast.Of(x0) : x0.clone()).requires_grad_(true);
            var weight = weight0.clone().requires_grad_(true);
            var bias = bias0?.clone().requires_grad_(true);
            var y = op(x, weight, bias);
            (y * upstream).sum().backward();
            return (y.detach(), x.grad!, weight.grad!, bias?.grad);
        }

        var ours = Run(TransposedConv2x2.Apply);
        var lib = Run((x, weight, bias) => F.conv_transpose2d(x, weight, bias, Stride2));
        // The output keeps the input's layout (a 1x1 map is both layouts at once, and taken as NCHW).
        bool lastIn = channelsLast && h * w > 1;
        Assert.True(lastIn ? ChannelsLast.Is(ours.Y) : ours.Y.is_contiguous(), $"layout, {at}");
        Close(ours.Y, lib.Y, $"output, {at}");
        Close(ours.Dx, lib.Dx, $"x gradient, {at}");
        Close(ours.Dw, lib.Dw, $"weight gradient, {at}");
        if (withBias) Close(ours.Db!, lib.Db!, $"bias gradient, {at}");
        // The input gradient is the adjoint map: the 2x2 stride-2 convolution of the output gradient with the same weight.
        Close(ours.Dx, F.conv2d(upstream, weight0, strides: Stride2), $"adjoint, {at}");
    }

    [Theory]
    [InlineData(1, 4, 4, 3, 5, true, true)]
    [InlineData(1, 4, 4, 3, 5, false, false)]
    [InlineData(3, 6, 5, 3, 5, true, false)]
    [InlineData(3, 6, 5, 3, 5, false, true)]
    [InlineData(3, 8, 16, 7, 4, true, true)]
    [InlineData(2, 32, 16, 16, 16, true, true)]
    [InlineData(2, 32, 16, 16, 16, true, false)]
    [InlineData(1, 3, 2, 1, 1, false, true)]
    // dZ takes 512 KB per image here, so the backward pass works on two images, then one.
    [InlineData(3, 8, 64, 32, 16, true, true)]
    [InlineData(3, 8, 64, 32, 16, false, false)]
    public void MatchesLibtorchsTransposedConvolutionForwardAndBackward(int n, int cin, int cout, int h, int w, bool bias, bool channelsLast)
        => CompareWithLibtorch(n, cin, cout, h, w, bias, channelsLast, ScalarType.Float32, 7 * n + cin + 3 * h + w);

    [Fact]
    public void Float64TakesTheSamePathAndMatches()
    {
        CompareWithLibtorch(3, 5, 3, 3, 5, true, true, ScalarType.Float64, 21);
        CompareWithLibtorch(1, 2, 6, 4, 1, false, false, ScalarType.Float64, 22);
    }

    /// <summary>Finite differences in float64 against the custom backward, for the input, the weight and the bias.</summary>
    [Fact]
    public void GradientsPassANumericalCheck()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(5);
        var x = ChannelsLast.Of(randn(new long[] { 2, 3, 3, 2 }, dtype: ScalarType.Float64, generator: gen));
        var weight = randn(new long[] { 3, 2, 2, 2 }, dtype: ScalarType.Float64, generator: gen);
        var bias = randn(new long[] { 2 }, dtype: ScalarType.Float64, generator: gen);
        var upstream = randn(new long[] { 2, 2, 6, 4 }, dtype: ScalarType.Float64, generator: gen);
        var inputs = new[] { x, weight, bias };
        var tracked = inputs.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        (TransposedConv2x2.Apply(tracked[0], tracked[1], tracked[2]) * upstream).sum().backward();
        double eps = 1e-6, worst = 0;
        for (int k = 0; k < inputs.Length; k++)
        {
            var values = inputs[k].contiguous().data<double>().ToArray();
            var analytic = tracked[k].grad!.contiguous().data<double>().ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                using var inner = NewDisposeScope();
                double Loss(double delta)
                {
                    var moved = (double[])values.Clone();
                    moved[i] += delta;
                    var args = inputs.ToArray();
                    args[k] = tensor(moved, inputs[k].shape);
                    return (TransposedConv2x2.Apply(args[0], args[1], args[2]) * upstream).sum().ToDouble();
                }
                worst = Math.Max(worst, Math.Abs((Loss(eps) - Loss(-eps)) / (2 * eps) - analytic[i]));
            }
        }
        Assert.True(worst < 1e-6, $"largest gradient error {worst}");
    }

    /// <summary>
    /// Inside a U-Net the output is concatenated with the skip connection, so its gradient arrives as a channel slice
    /// of the concatenation's gradient (not contiguous in any layout); frozen inputs get no gradient.
    /// </summary>
    [Theory]
    [InlineData(2, 4, 5, 6)]
    [InlineData(3, 64, 32, 16)] // in two parts (see above)
    public void TakesASlicedGradientAndSkipsFrozenInputs(int n, int cout, int h, int w)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(9);
        var x0 = ChannelsLast.Of(randn(new long[] { n, 8, h, w }, generator: gen));
        var weight0 = randn(new long[] { 8, cout, 2, 2 }, generator: gen);
        var bias0 = randn(new long[] { cout }, generator: gen);
        var skip = ChannelsLast.Of(randn(new long[] { n, 3, 2 * h, 2 * w }, generator: gen));
        var head = randn(new long[] { 5, 3 + cout, 3, 3 }, generator: gen);

        Tensor?[] Run(Func<Tensor, Tensor, Tensor?, Tensor> op, bool xGrad, bool wGrad, bool bGrad)
        {
            var x = x0.clone().requires_grad_(xGrad);
            var weight = weight0.clone().requires_grad_(wGrad);
            var bias = bias0.clone().requires_grad_(bGrad);
            var merged = cat(new[] { skip, op(x, weight, bias) }, 1);
            F.conv2d(merged, head, padding: new long[] { 1, 1 }).square().sum().backward();
            return new[] { x.grad, weight.grad, bias.grad };
        }

        foreach (var (xGrad, wGrad, bGrad) in new[] { (true, true, true), (false, true, true), (true, false, false), (false, false, true) })
        {
            var ours = Run(TransposedConv2x2.Apply, xGrad, wGrad, bGrad);
            var lib = Run((x, weight, bias) => F.conv_transpose2d(x, weight, bias, Stride2), xGrad, wGrad, bGrad);
            var needs = new[] { xGrad, wGrad, bGrad };
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(needs[i], ours[i] is not null);
                if (needs[i]) Close(ours[i]!, lib[i]!, $"gradient {i} with requires_grad ({xGrad}, {wGrad}, {bGrad})");
            }
        }
    }

    [Fact]
    public void WithoutGradientItRecordsNothingAndGivesTheSameOutput()
    {
        using var scope = NewDisposeScope();
        var x = ChannelsLast.Of(randn(2, 6, 4, 3)).requires_grad_(true);
        var weight = randn(6, 3, 2, 2).requires_grad_(true);
        var bias = randn(3).requires_grad_(true);
        var tracked = TransposedConv2x2.Apply(x, weight, bias);
        Tensor untracked;
        using (no_grad()) untracked = TransposedConv2x2.Apply(x, weight, bias);
        Assert.True(tracked.requires_grad);
        Assert.False(untracked.requires_grad);
        Assert.True(Imaging.TensorAssert.Same(untracked, tracked.detach()));
        Assert.True(ChannelsLast.Is(untracked));
    }

    [Fact]
    public void AnEmptyBatchGivesAnEmptyOutput()
    {
        using var scope = NewDisposeScope();
        var x = randn(0, 4, 3, 5).requires_grad_(true);
        var y = TransposedConv2x2.Apply(x, randn(4, 2, 2, 2).requires_grad_(true), randn(2));
        Assert.Equal(new long[] { 0, 2, 6, 10 }, y.shape);
    }

    [Fact]
    public void OtherTypesFallBackToLibtorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, 3, 5).to_type(ScalarType.BFloat16).requires_grad_(true);
        var weight = randn(4, 2, 2, 2).to_type(ScalarType.BFloat16).requires_grad_(true);
        var bias = randn(2).to_type(ScalarType.BFloat16);
        var y = TransposedConv2x2.Apply(x, weight, bias);
        var reference = F.conv_transpose2d(x, weight, bias, Stride2);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.True(Imaging.TensorAssert.Same(y, reference));
        y.sum().backward();
        Assert.NotNull(x.grad);
    }

    [Fact]
    public void RejectsShapesItDoesNotCompute()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 3, 3);
        Assert.Throws<ArgumentException>(() => TransposedConv2x2.Apply(x, randn(4, 2, 3, 3), null));
        Assert.Throws<ArgumentException>(() => TransposedConv2x2.Apply(x, randn(5, 2, 2, 2), null));
        Assert.Throws<ArgumentException>(() => TransposedConv2x2.Apply(x, randn(4, 2, 2, 2), randn(3)));
        Assert.Throws<ArgumentException>(() => TransposedConv2x2.Apply(randn(4, 3, 3), randn(4, 2, 2, 2), null));
    }
}
