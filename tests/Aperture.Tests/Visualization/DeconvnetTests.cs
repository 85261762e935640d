using Aperture.Classification;
using Aperture.Data;
using Aperture.Nn;
using Aperture.Visualization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Visualization;

public class DeconvnetTests
{
    /// <summary>A few real Fashion-MNIST test images (the shipped sample), as network input in [0, 1], [n, 1, 28, 28].</summary>
    internal static Tensor RealImages(int n)
    {
        using var data = FashionMnist.LoadSample(DatasetSplit.Test);
        return data.Images.narrow(0, 0, n).to_type(ScalarType.Float32).div(255);
    }

    /// <summary>A VGG-GAP net with random weights and non-trivial batch-norm statistics and affine parameters.</summary>
    internal static VggGap RandomVgg(int seed)
    {
        random.manual_seed(seed);
        var net = new VggGap(10, 1, new[] { 8, 12, 16 });
        using (no_grad())
            foreach (var (_, m) in net.named_modules())
                if (m is BatchNorm2d bn)
                {
                    bn.running_mean!.uniform_(-0.2, 0.2);
                    bn.running_var!.uniform_(0.5, 2);
                    bn.weight.uniform_(0.5, 1.5);
                    bn.bias!.uniform_(-0.1, 0.1);
                }
        net.eval();
        return net;
    }

    [Fact]
    public void TransposedConvolutionIsTheAdjointOfTheForwardOne()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        foreach (var (k, s, p, d, side) in new[] { (3, 1, 1, 1, 9), (3, 2, 1, 1, 10), (3, 2, 1, 1, 9), (5, 2, 2, 1, 12), (3, 3, 0, 2, 17), (4, 2, 1, 1, 11), (5, 1, 0, 1, 8) })
        {
            var conv = nn.Conv2d(3, 4, k, stride: s, padding: (long)p, dilation: d);
            conv.to(ScalarType.Float64);
            var x = randn(new long[] { 2, 3, side, side + 1 }, ScalarType.Float64);
            var ax = F.conv2d(x, conv.weight, null, conv.stride, conv.padding, conv.dilation); // A x, no bias
            var y = randn_like(ax);
            var aty = Deconvnet.TransposeConv(y, conv, x.shape);
            Assert.Equal(x.shape, aty.shape);
            double lhs = (ax * y).sum().item<double>(), rhs = (x * aty).sum().item<double>();
            Assert.True(Math.Abs(lhs - rhs) <= 1e-10 * (1 + Math.Abs(lhs)), $"k{k} s{s} p{p} d{d} {side}: <Ax, y> = {lhs}, <x, A^T y> = {rhs}");
        }
    }

    [Fact]
    public void UnpoolingPlacesEachValueExactlyAtItsSwitch()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        foreach (var (k, s, side) in new[] { (2, 2, 9), (2, 2, 10), (3, 2, 11), (3, 1, 7) })
        {
            var x = randn(2, 3, side, side + 2);
            var (pooled, idx) = F.max_pool2d_with_indices(x, new long[] { k, k }, new long[] { s, s });
            var signal = randn_like(pooled);
            var u = Deconvnet.Unpool(signal, idx, x.shape);
            Assert.Equal(x.shape, u.shape);
            var uf = u.flatten(2);
            var fi = idx.flatten(2);
            var sig = signal.flatten(2);
            var sw = fi.data<long>().ToArray();
            var sv = sig.contiguous().data<float>().ToArray();
            var uv = uf.contiguous().data<float>().ToArray();
            long hw = x.shape[2] * x.shape[3], per = fi.shape[2];
            var expected = new double[uv.Length];
            for (int i = 0; i < sw.Length; i++) expected[(i / per) * hw + sw[i]] += sv[i];
            // Overlapping windows add several values at one switch, in float32 and in an order the kernel picks, so
            // compare with a tolerance, not by rounding (rounding to 5 places flips at ...x5 boundaries: a CI failure).
            for (int i = 0; i < uv.Length; i++)
                Assert.True(Math.Abs(expected[i] - uv[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"k{k} s{s} {side}: at {i} expected {expected[i]}, got {uv[i]}");
            // The switch really is where the forward maximum came from.
            Assert.True(x.flatten(2).gather(2, fi).allclose(pooled.flatten(2), 0, 0));
            if (k == s) // non-overlapping: every value lands on its own pixel, all others are zero
                Assert.Equal(signal.ne(0).sum().item<long>(), u.ne(0).sum().item<long>());
        }
    }

    [Fact]
    public void ReconstructionIsZeroOutsideTheUnitsReceptiveField()
    {
        using var scope = NewDisposeScope();
        using var net = RandomVgg(4);
        var deconv = new Deconvnet(net);
        var fields = ReceptiveField.Of(net, 28);
        var x = RealImages(3);
        foreach (var path in Enum.GetValues<ReversePath>())
            foreach (var layer in new[] { "conv1_1", "relu1_2", "pool1", "relu2_2", "pool2", "conv3_1" })
            {
                var rf = ReceptiveField.Find(fields, layer);
                int m = rf.MapSize!.Value;
                var positions = new[] { (0, 0), (m / 2, m / 3), (m - 1, m - 2) };
                using var rec = deconv.Reconstruct(x, layer, 1, positions, path);
                for (int i = 0; i < 3; i++)
                {
                    var (x1, y1, x2, y2) = rf.UnitBox(positions[i].Item1, positions[i].Item2, 28, 28);
                    var outside = rec.Pixels[i, 0].abs().clone();
                    outside[y1..y2, x1..x2] = 0;
                    Assert.Equal(0f, outside.max().item<float>());
                }
                Assert.True(rec.Pixels.abs().sum().item<float>() > 0 || rec.Values.All(v => v <= 0), $"{layer} {path}: empty reconstruction");
            }
    }

    [Fact]
    public void GradientPathIsTheExactInputGradient()
    {
        using var scope = NewDisposeScope();
        using var vgg = RandomVgg(5);
        using var lenet = new LeNet5();
        var x = RealImages(2);
        foreach (var (model, layer) in new (nn.Module, string)[] { (vgg, "relu2_2"), (vgg, "pool2"), (lenet, "c1"), (lenet, "relu1"), (lenet, "s2"), (lenet, "c3"), (lenet, "s4") })
        {
            var deconv = new Deconvnet(model);
            var acts = deconv.Activations(x, layer);
            int ch = (int)acts[0].amax(new long[] { 1, 2 }).argmax().item<long>(); // a live feature map
            using var rec = deconv.Reconstruct(x, layer, ch, path: ReversePath.Gradient);
            Assert.True(rec.Values.All(v => v > 0), $"{layer}: the chosen map is dead");
            // Reference: autograd through the modules themselves (eval mode) of the kept activation, times its value.
            var layers = NetworkLayers.ConvolutionalPart(model);
            int last = NetworkLayers.IndexOf(layers, layer);
            var xi = x.clone().requires_grad_();
            var h = xi;
            for (int i = 0; i <= last; i++) h = ((nn.Module<Tensor, Tensor>)layers[i].Module).call(h.clone());
            var kept = stack(Enumerable.Range(0, 2).Select(n => h[n, ch, rec.Positions[n].Row, rec.Positions[n].Col] * rec.Values[n]).ToArray()).sum();
            var g = autograd.grad(new[] { kept }, new[] { xi })[0];
            Assert.True(g.abs().max().item<float>() > 0);
            Assert.True(g.allclose(rec.Pixels, rtol: 1e-4, atol: 1e-6), $"{layer}: max difference {(g - rec.Pixels).abs().max().item<float>()}");
            // The kept value is the map's maximum per image.
            for (int n = 0; n < 2; n++)
                Assert.Equal(acts[n, ch].max().item<float>(), rec.Values[n], 1e-5);
        }
    }

    [Fact]
    public void ActivationsFollowTheNetworksOwnForward()
    {
        using var scope = NewDisposeScope();
        using var net = RandomVgg(6);
        var x = RealImages(2);
        var deconv = new Deconvnet(net);
        using (no_grad())
            Assert.True(deconv.Activations(x, "relu3_2").allclose(net.Features.forward(x), rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void PathsDifferAndBadArgumentsAreNamed()
    {
        using var scope = NewDisposeScope();
        using var net = RandomVgg(7);
        var deconv = new Deconvnet(net);
        var x = RealImages(1);
        // Guided backpropagation also masks by the forward pass, so on a deep unit it keeps less than the deconvnet.
        int ch = (int)deconv.Activations(x, "relu3_2")[0].amax(new long[] { 1, 2 }).argmax().item<long>();
        using var d = deconv.Reconstruct(x, "relu3_2", ch);
        using var g = deconv.Reconstruct(x, "relu3_2", ch, path: ReversePath.GuidedBackpropagation);
        Assert.True(d.Values[0] > 0);
        Assert.False(d.Pixels.allclose(g.Pixels));
        var e = Assert.Throws<ArgumentException>(() => deconv.Reconstruct(x, "conv9_9", 0));
        Assert.Contains("conv1_1", e.Message);
        Assert.Contains("pool2", e.Message);
        var c = Assert.Throws<ArgumentException>(() => deconv.Reconstruct(x, "relu2_2", 99));
        Assert.Contains("0 … 11", c.Message);
    }
}
