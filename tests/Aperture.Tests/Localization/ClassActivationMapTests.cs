using Aperture.Classification;
using Aperture.Localization;
using Aperture.Ops;
using Aperture.Tests.Visualization;
using static TorchSharp.torch;

namespace Aperture.Tests.Localization;

public class ClassActivationMapTests
{
    [Fact]
    public void SpatialMeanOfTheMapPlusBiasIsTheLogit()
    {
        using var scope = NewDisposeScope();
        using var net = DeconvnetTests.RandomVgg(11);
        var x = DeconvnetTests.RealImages(4);
        Tensor logits, maps;
        using (no_grad())
        {
            logits = net.forward(x);
            maps = ClassActivationMap.AllClasses(net.Features.forward(x), net.Classifier);
        }
        Assert.Equal(new long[] { 4, 10, 7, 7 }, maps.shape);
        var rebuilt = maps.mean(new long[] { 2, 3 }) + net.Classifier.bias!.detach();
        Assert.True(rebuilt.allclose(logits, rtol: 1e-5, atol: 1e-5), $"max difference {(rebuilt - logits).abs().max().item<float>()}");

        var top = ClassActivationMap.Compute(net, x, topK: 3, classNames: FashionMnistNames);
        for (int n = 0; n < 4; n++)
        {
            Assert.Equal(3, top[n].Count);
            Assert.Equal(logits[n].argmax().item<long>(), top[n][0].Class);
            Assert.True(top[n][0].Logit >= top[n][1].Logit && top[n][1].Logit >= top[n][2].Logit);
            foreach (var m in top[n])
            {
                Assert.Equal(logits[n, m.Class].item<float>(), m.Map.mean().item<float>() + net.Classifier.bias![m.Class].item<float>(), 1e-4);
                Assert.Equal(new long[] { 28, 28 }, m.Upsampled.shape);
                Assert.Equal(FashionMnistNames[m.Class], m.Name);
            }
        }
    }

    [Fact]
    public void GradCamOnAGapNetworkIsTheRectifiedCamOverTheMapArea()
    {
        using var scope = NewDisposeScope();
        using var net = DeconvnetTests.RandomVgg(12);
        var x = DeconvnetTests.RealImages(3);
        var classes = tensor(new long[] { 0, 4, 9 });
        var (grad, used) = GradCam.Compute(net, "relu3_2", x, classes);
        Assert.True(used.eq(classes).all().item<bool>());
        Tensor cam;
        using (no_grad()) cam = ClassActivationMap.ForClasses(net.Features.forward(x), net.Classifier, classes);
        var expected = cam.relu() / 49.0; // h·w = 7·7
        Assert.True(grad.allclose(expected, rtol: 1e-4, atol: 1e-7), $"max difference {(grad - expected).abs().max().item<float>()}");
        Assert.True(grad.max().item<float>() > 0);
        Assert.True(net.training == false);
    }

    [Fact]
    public void GradCamWorksOnLeNetAndRestoresTheMode()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(13);
        using var net = new LeNet5();
        net.train();
        var x = DeconvnetTests.RealImages(2);
        var (maps, classes) = GradCam.Compute(net, "relu3", x);
        Assert.Equal(new long[] { 2, 10, 10 }, maps.shape);
        Assert.True(net.training);
        using (no_grad()) Assert.True(classes.eq(net.forward(x).argmax(1)).all().item<bool>());
        var e = Assert.Throws<ArgumentException>(() => GradCam.Compute(net, "conv3", x));
        Assert.Contains("c1", e.Message);
        Assert.Contains("s4", e.Message);
        var c = Assert.Throws<ArgumentException>(() => GradCam.Compute(net, "c3", x, tensor(new long[] { 1, 10 })));
        Assert.Contains("0 … 9", c.Message);
    }

    [Fact]
    public void ChosenClassAndErrors()
    {
        using var scope = NewDisposeScope();
        using var net = DeconvnetTests.RandomVgg(14);
        var x = DeconvnetTests.RealImages(2);
        var maps = ClassActivationMap.Compute(net, x, chosenClass: 7);
        Assert.All(maps, m => Assert.Equal(7, Assert.Single(m).Class));
        var e = Assert.Throws<ArgumentException>(() => ClassActivationMap.Compute(net, x, chosenClass: 10, classNames: FashionMnistNames));
        Assert.Contains("9 (Ankle boot)", e.Message);
        var drawn = ClassActivationMap.Draw(x[0], maps[0][0].Map, new Box(3, 4, 20, 25));
        Assert.Equal(new long[] { 3, 28, 28 }, drawn.shape);
    }

    private static readonly string[] FashionMnistNames = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
}
