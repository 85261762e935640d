using Aperture.Nn;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Nn;

public class BilinearUpsamplingTests
{
    private static Tensor Interp(Tensor x, int s) =>
        F.interpolate(x, scale_factor: new double[] { s, s }, mode: InterpolationMode.Bilinear, align_corners: false);

    [Fact]
    public void KernelIsFcnsUpsampleFilt()
    {
        // upsample_filt(4) (factor 2, centre 1.5): 1D weights 1/4, 3/4, 3/4, 1/4; upsample_filt(5) (factor 3, centre 2): 1/3, 2/3, 1, 2/3, 1/3.
        using var k2 = BilinearKernel.Kernel(2);
        using var k3 = BilinearKernel.Kernel(3);
        Assert.Equal(new long[] { 4, 4 }, k2.shape);
        Assert.Equal(new long[] { 5, 5 }, k3.shape);
        float[] a = { 0.25f, 0.75f, 0.75f, 0.25f }, b = { 1 / 3f, 2 / 3f, 1, 2 / 3f, 1 / 3f };
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) Assert.Equal(a[i] * a[j], k2[i, j].item<float>(), 1e-6);
        for (int i = 0; i < 5; i++) for (int j = 0; j < 5; j++) Assert.Equal(b[i] * b[j], k3[i, j].item<float>(), 1e-6);
        Assert.Equal(64, BilinearKernel.Size(32));
        Assert.Equal(16, BilinearKernel.Padding(32));
    }

    /// <summary>
    /// The bilinear-initialised transposed convolution (FCN's layer, zero beyond the edges) equals
    /// interpolate(bilinear, align_corners: false) of the input with a one-pixel ring of zeros around it, cropped back
    /// by s: so it equals plain interpolation on the interior (every output pixel at least s/2 from the border) and
    /// fades to zero on the outer ⌊s/2⌋ pixels. Odd and even factors, several channels (no mixing between them).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void TransposedConvolutionIsBilinearInterpolationWithZeroEdges(int s)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(s);
        var x = randn(2, 3, 5, 6, dtype: ScalarType.Float64);
        var layer = BilinearKernel.Layer(3, s);
        layer.to(ScalarType.Float64);
        BilinearKernel.Initialise(layer); // the kernel in float64, so the comparison is exact to double rounding
        var y = layer.forward(x);
        Assert.Equal(new long[] { 2, 3, 5 * s, 6 * s }, y.shape);
        var zeroRing = F.pad(x, new long[] { 1, 1, 1, 1 });
        var expected = Interp(zeroRing, s)[.., .., s..(6 * s), s..(7 * s)];
        Assert.True(y.allclose(expected, rtol: 0, atol: 1e-12), $"factor {s}: max diff {(y - expected).abs().max().item<double>()}");
        int e = s / 2 + s % 2; // ceil(s/2): beyond this, both neighbours of every output pixel are inside the map
        var plain = Interp(x, s);
        Assert.True(y[.., .., e..(5 * s - e), e..(6 * s - e)].allclose(plain[.., .., e..(5 * s - e), e..(6 * s - e)], rtol: 0, atol: 1e-12));
        if (s > 1) Assert.False(y.allclose(plain, rtol: 0, atol: 1e-6), "the zero-padded edges should differ from interpolation's repeated edge");
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(8, true)]
    [InlineData(32, true)]
    [InlineData(4, false)]
    public void BilinearUpsampleEqualsInterpolationEverywhereBeforeTraining(int s, bool learnable)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(11);
        var x = randn(2, 4, 3, 4);
        var up = new BilinearUpsample(4, s, learnable);
        Assert.Equal(learnable, up.parameters().Any());
        var y = up.forward(x);
        var expected = Interp(x, s);
        Assert.Equal(expected.shape, y.shape);
        // float32 kernel taps (1/3 is not exact in binary): equal to float32 rounding.
        Assert.True(y.allclose(expected, rtol: 0, atol: 2e-6), $"factor {s}: max diff {(y - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void ResizeConvolutionStartsAsBilinearUpsampling()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var x = randn(1, 3, 4, 5);
        var layer = new ResizeConvolution(3, 2);
        Assert.True(layer.forward(x).allclose(Interp(x, 2), rtol: 0, atol: 1e-6));
    }

    /// <summary>
    /// Adjoint test: with T the transposed convolution (stride s, kernel 2s − s mod 2, padding ⌊s/2⌋) and Tᵀ the
    /// convolution with the same weights, stride and padding, ⟨T x, y⟩ = ⟨x, Tᵀ y⟩ for random x, y and random weights
    /// (and for the bilinear ones): the two are each other's transpose, and the output is exactly s times the input.
    /// </summary>
    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    public void TransposedConvolutionIsTheAdjointOfTheConvolution(int s, bool bilinear)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(100 + s);
        int k = BilinearKernel.Size(s), p = BilinearKernel.Padding(s);
        var w = randn(3, 2, k, k, dtype: ScalarType.Float64); // transposed conv weight [Cin, Cout, k, k]: 3 -> 2 channels
        if (bilinear)
        {
            w = zeros(3, 3, k, k, dtype: ScalarType.Float64);
            for (int c = 0; c < 3; c++) w[c, c].copy_(BilinearKernel.Kernel(s, ScalarType.Float64));
        }
        long cout = w.shape[1];
        var x = randn(2, 3, 4, 5, dtype: ScalarType.Float64);
        var y = randn(2, cout, 4 * s, 5 * s, dtype: ScalarType.Float64);
        var tx = F.conv_transpose2d(x, w, null, new long[] { s, s }, new long[] { p, p });
        Assert.Equal(y.shape, tx.shape);
        var tty = F.conv2d(y, w, null, new long[] { s, s }, new long[] { p, p });
        Assert.Equal(x.shape, tty.shape);
        double lhs = (tx * y).sum().item<double>(), rhs = (x * tty).sum().item<double>();
        Assert.Equal(lhs, rhs, 1e-9 * Math.Max(1, Math.Abs(lhs)));
        Assert.NotEqual(0, lhs);
    }

    [Fact]
    public void BadSettingsAreNamed()
    {
        var e = Assert.Throws<ArgumentException>(() => BilinearKernel.Kernel(0));
        Assert.Contains("0", e.Message);
        using var odd = nn.ConvTranspose2d(2, 3, 4, stride: 2, padding: 1);
        Assert.Contains("2 -> 3", Assert.Throws<ArgumentException>(() => BilinearKernel.Initialise(odd)).Message);
    }
}
