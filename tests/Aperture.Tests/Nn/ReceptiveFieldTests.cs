using Aperture.Classification;
using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Tests.Nn;

public class ReceptiveFieldTests
{
    [Fact]
    public void Vgg16ConvAndPoolFieldsMatchTheKnownValues()
    {
        var rf = ReceptiveField.Of(ReceptiveField.Vgg16Layers, 224);
        Assert.Equal(196, ReceptiveField.Find(rf, "conv5_3").Size);
        Assert.Equal(212, ReceptiveField.Find(rf, "pool5").Size);
        Assert.Equal(16, ReceptiveField.Find(rf, "conv5_3").Jump);
        Assert.Equal(32, ReceptiveField.Find(rf, "pool5").Jump);
        Assert.Equal(7, ReceptiveField.Find(rf, "pool5").MapSize);
        Assert.Equal(3, ReceptiveField.Find(rf, "conv1_1").Size);
        Assert.Equal(6, ReceptiveField.Find(rf, "pool1").Size);
    }

    [Fact]
    public void LeNet5FieldsMatchAHandCalculation()
    {
        using var net = new LeNet5();
        var rf = ReceptiveField.Of(net, 28);
        Assert.Equal(new[] { "c1", "relu1", "s2", "c3", "relu3", "s4" }, rf.Select(f => f.Name));
        // c1: 5x5 pad 2 -> r 5, j 1, start 0; s2: r 6, j 2, start 0.5; c3: r 6 + 4*2 = 14, start 0.5 + 2*2 = 4.5; s4: r 16, j 4, start 5.5.
        Assert.Equal(new[] { 5, 5, 6, 14, 14, 16 }, rf.Select(f => f.Size));
        Assert.Equal(new[] { 1, 1, 2, 2, 2, 4 }, rf.Select(f => f.Jump));
        Assert.Equal(new[] { 0, 0, 0.5, 4.5, 4.5, 5.5 }, rf.Select(f => f.Start));
        Assert.Equal(new int?[] { 28, 28, 14, 10, 10, 5 }, rf.Select(f => f.MapSize));
        // s4 unit (0, 0) is centred at 5.5 and sees -2..13 (two rows of c1's zero padding); unit (4, 4) is
        // centred at 5.5 + 16 = 21.5 and sees 14..29, clipped to 14..27.
        Assert.Equal((-2, -2, 14, 14), ReceptiveField.Find(rf, "s4").UnitBox(0, 0));
        Assert.Equal((0, 0, 14, 14), ReceptiveField.Find(rf, "s4").UnitBox(0, 0, 28, 28));
        Assert.Equal((14, 14, 28, 28), ReceptiveField.Find(rf, "s4").UnitBox(4, 4, 28, 28));
    }

    [Fact]
    public void VggGapIsWalkedThroughItsSequential()
    {
        using var net = new VggGap();
        var rf = ReceptiveField.Of(net, 28);
        Assert.Equal("conv1_1", rf[0].Name);
        Assert.Equal("relu3_2", rf[^1].Name);
        Assert.Equal(32, rf[^1].Size);
        Assert.Equal(16, ReceptiveField.Find(rf, "pool2").Size);
        Assert.Equal(7, ReceptiveField.Find(rf, "pool2").MapSize);
        var e = Assert.Throws<ArgumentException>(() => ReceptiveField.Find(rf, "conv9"));
        Assert.Contains("conv1_1", e.Message);
        Assert.Contains("relu3_2", e.Message);
    }

    /// <summary>
    /// The field predicted by the recurrence is exactly the support of the unit's input gradient, on a net of
    /// positive-weight convolutions (strided, padded, dilated) and average pooling over a positive input, where
    /// every input pixel in the field has a strictly positive effect.
    /// </summary>
    [Fact]
    public void PredictedFieldIsTheSupportOfTheInputGradient()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        var net = Sequential(
            ("a", Conv2d(1, 2, 3, stride: 1, padding: 1L)),
            ("relu", ReLU()),
            ("b", Conv2d(2, 2, 3, stride: 2, padding: 0L, dilation: 2)),
            ("pool", AvgPool2d(2, stride: 1)),
            ("c", Conv2d(2, 1, 5, stride: 2, padding: 3L)));
        using (no_grad())
            foreach (var p in net.parameters()) p.abs_().add_(0.1);
        const int side = 41;
        var rf = ReceptiveField.Of(net, side);
        var last = rf[^1];
        var x = rand(1, 1, side, side).add(0.5).requires_grad_();
        var y = net.forward(x);
        Assert.Equal(last.MapSize, (int)y.shape[2]);
        foreach (var (r, c) in new[] { (0, 0), (1, 2), (last.MapSize!.Value - 1, last.MapSize.Value - 1), (2, 0) })
        {
            var g = autograd.grad(new[] { y[0, 0, r, c] }, new[] { x }, retain_graph: true)[0][0, 0];
            var nz = g.ne(0).nonzero();
            var (x1, y1, x2, y2) = last.UnitBox(r, c, side, side);
            Assert.Equal(y1, nz[.., 0].min().item<long>());
            Assert.Equal(y2 - 1, nz[.., 0].max().item<long>());
            Assert.Equal(x1, nz[.., 1].min().item<long>());
            Assert.Equal(x2 - 1, nz[.., 1].max().item<long>());
            Assert.Equal((long)(x2 - x1) * (y2 - y1), nz.shape[0]);
        }
    }

    [Fact]
    public void TableAndDrawingWork()
    {
        using var scope = NewDisposeScope();
        var rf = ReceptiveField.Of(ReceptiveField.Vgg16Layers, 224);
        string table = ReceptiveField.Table(rf);
        Assert.Contains("conv5_3", table);
        Assert.Contains("196", table);
        var image = zeros(3, 64, 64, ScalarType.Byte);
        var drawn = ReceptiveField.Of(ReceptiveField.Vgg16Layers.Take(5), 64)[^1].Draw(image, new[] { (10, 10) });
        Assert.Equal(new long[] { 3, 64, 64 }, drawn.shape);
        // conv2_1's field side is 10: the box border is drawn, the inside is left black.
        var box = ReceptiveField.Of(ReceptiveField.Vgg16Layers.Take(5))[^1].UnitBox(10, 10, 64, 64);
        Assert.True(drawn[.., box.Y1, box.X1].sum().item<long>() > 0);
        Assert.Equal(0, drawn[.., box.Y1 + 3, box.X1 + 3].sum().item<long>());
        Assert.Equal(0, drawn[.., 0, 0].sum().item<long>());
    }

    [Fact]
    public void LayerWalkNamesLeNetAndVggLayers()
    {
        using var lenet = new LeNet5();
        Assert.Equal(new[] { "c1", "relu1", "s2", "c3", "relu3", "s4", "c5", "f6", "output" }, NetworkLayers.Leaves(lenet).Select(l => l.Name));
        using var vgg = new VggGap();
        var part = NetworkLayers.ConvolutionalPart(vgg);
        Assert.Equal(20, part.Count);
        var e = Assert.Throws<ArgumentException>(() => NetworkLayers.IndexOf(part, "fc"));
        Assert.Contains("pool1", e.Message);
    }
}
