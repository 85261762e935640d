using Aperture.Generative.Gan;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

public class GanNetworkTests
{
    private static readonly GanOptions Small = new() { LatentSize = 8, Width = 4, EmbeddingSize = 3 };

    [Fact]
    public void GeneratorMakes28x28ImagesInMinusOneToOne()
    {
        using var scope = NewDisposeScope();
        var g = new DcganGenerator(Small, 10);
        var images = g.forward(randn(5, 8, generator: new Generator(1)), null);
        Assert.Equal([5L, 1, 28, 28], images.shape);
        Assert.True(images.min().item<float>() >= -1 && images.max().item<float>() <= 1);
        Assert.Throws<ArgumentException>(() => g.forward(randn(5, 7), null));
    }

    [Fact]
    public void ConditionalNetworksUseTheLabel()
    {
        using var scope = NewDisposeScope();
        var options = Small with { Conditional = true };
        var g = new DcganGenerator(options, 10);
        var d = new DcganDiscriminator(options, 10);
        g.eval();
        d.eval();
        var z = randn(1, 8, generator: new Generator(2)).expand(2, -1);
        var labels = tensor(new long[] { 0, 7 });
        var images = g.forward(z, labels);
        Assert.True(images[0].sub(images[1]).abs().max().item<float>() > 0, "same z, different label: different image");
        var same = images[0].unsqueeze(0).expand(2, -1, -1, -1);
        var logits = d.forward(same, labels);
        Assert.Equal([2L], logits.shape);
        Assert.NotEqual(logits[0].item<float>(), logits[1].item<float>());
        Assert.Throws<ArgumentException>(() => g.forward(z, null));
        Assert.Throws<ArgumentException>(() => d.forward(same, null));
    }

    [Fact]
    public void DiscriminatorGivesOneLogitPerImage()
    {
        using var scope = NewDisposeScope();
        var d = new DcganDiscriminator(Small, 10);
        Assert.Equal([3L], d.forward(rand(3, 1, 28, 28).mul(2).sub(1), null).shape);
        Assert.Throws<ArgumentException>(() => d.forward(rand(3, 1, 32, 32), null));
    }

    [Fact]
    public void DcganInitialisationDrawsWeightsFromNormalWithStd002()
    {
        var g = new DcganGenerator(new GanOptions(), 10);
        var convs = g.modules().OfType<ConvTranspose2d>().Select(c => c.weight!).Concat(g.modules().OfType<Linear>().Select(l => l.weight!)).ToList();
        Assert.NotEmpty(convs);
        foreach (var w in convs)
        {
            Assert.InRange(w.std().item<float>(), 0.018, 0.022);
            Assert.InRange(w.mean().item<float>(), -0.003, 0.003);
        }
        foreach (var bn in g.modules().OfType<BatchNorm2d>())
        {
            // The mean of C draws from N(1, 0.02²) has standard deviation 0.02 / √C: five of them (a fixed ±0.01 failed
            // about once in a few hundred runs on a 32-channel layer, unseeded).
            double bound = 5 * 0.02 / Math.Sqrt(bn.weight!.shape[0]);
            Assert.InRange(bn.weight!.mean().item<float>(), 1 - bound, 1 + bound);
        }
    }

    [Theory]
    [InlineData("label_smoothing=0.6", "label_smoothing")]
    [InlineData("ema_decay=1", "ema_decay")]
    [InlineData("batch_size=1", "batch_size")]
    [InlineData("width=0", "width")]
    [InlineData("no_such=3", "latent_size")] // an unknown name lists the options
    [InlineData("width=wide", "wrong type")]
    [InlineData("loss=sideways", "wrong type")]
    public void BadSettingsAreRefusedByName(string assignment, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => GanSettings.Apply(new GanOptions(), [assignment]));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void SettingsApplyNamedValues()
    {
        var o = GanSettings.Apply(new GanOptions(), ["label_smoothing=0.1", "ema-decay=0", "loss=minimax"]);
        Assert.Equal(0.1, o.LabelSmoothing);
        Assert.Equal(0, o.EmaDecay);
        Assert.Equal(GanLossKind.Minimax, o.Loss);
        var e = Assert.Throws<ArgumentException>(() => new GanSettings { Model = "dcgan", OutputDirectory = "x", Set = ["conditional=true"] }.Plan());
        Assert.Contains("cgan", e.Message);
    }
}
