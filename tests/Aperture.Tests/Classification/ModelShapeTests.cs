using Aperture.Classification;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Classification;

public class ModelShapeTests
{
    [Fact]
    public void LeNet5HasThePapersLayerSizes()
    {
        using var scope = NewDisposeScope();
        var net = new LeNet5(10);
        var p = net.named_parameters().ToDictionary(x => x.name, x => x.parameter.shape);
        Assert.Equal(new long[] { 6, 1, 5, 5 }, p["c1.weight"]);
        Assert.Equal(new long[] { 16, 6, 5, 5 }, p["c3.weight"]);
        Assert.Equal(new long[] { 120, 400 }, p["c5.weight"]);
        Assert.Equal(new long[] { 84, 120 }, p["f6.weight"]);
        Assert.Equal(new long[] { 10, 84 }, p["output.weight"]);
        // 61,706 parameters for K = 10 with the full C3 table.
        Assert.Equal(61706, net.parameters().Sum(t => t.numel()));
        Assert.Equal(new long[] { 3, 10 }, net.forward(zeros(3, 1, 28, 28)).shape);
    }

    [Fact]
    public void VggGapLogitIsTheLinearMapOfPooledFeatures()
    {
        using var scope = NewDisposeScope();
        var net = new VggGap(10);
        net.eval();
        var x = randn(2, 1, 28, 28);
        var f = net.Features.forward(x);
        Assert.Equal(new long[] { 2, 64, 7, 7 }, f.shape);
        var expected = f.mean(new long[] { 2, 3 }).matmul(net.Classifier.weight!.t()) + net.Classifier.bias!;
        Assert.True(net.forward(x).allclose(expected, rtol: 1e-5, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => Classifiers.Create("resnet", 10));
    }
}
