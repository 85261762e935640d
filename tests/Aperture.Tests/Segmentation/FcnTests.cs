using Aperture.Nn;
using Aperture.Segmentation;
using Aperture.Segmentation.Fcn;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Segmentation;

public class FcnTests
{
    private static readonly FcnOptions Tiny = new() { Widths = new[] { 4, 6, 8, 8, 8 }, ConvsPerStage = new[] { 1, 1, 1, 1, 1 }, FcWidth = 12, Dropout = 0 };

    private static Tensor Interp(Tensor x, int s) =>
        F.interpolate(x, scale_factor: new double[] { s, s }, mode: InterpolationMode.Bilinear, align_corners: false);

    /// <summary>Gives the layers a trained net would have changed non-zero values, so equalities are not 0 = 0.</summary>
    private static void Perturb(nn.Module net, params string[] prefixes)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var (name, p) in net.named_parameters())
                if (prefixes.Any(name.StartsWith)) p.copy_(randn_like(p).mul(0.3));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(8)]
    public void ScoresComeAtTheInputsResolution(int stride)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var net = new Fcn(3, 4, Tiny with { OutputStride = stride });
        var x = randn(2, 3, 64, 96);
        Assert.Equal(new long[] { 2, 4, 64, 96 }, net.forward(x).shape);
        Assert.Equal(new long[] { 2, 4, 64 / stride, 96 / stride }, net.Scores(x).shape);
        Assert.Equal(32, ((ISegmentationNetwork)net).InputMultiple);
        Assert.Throws<ArgumentException>(() => net.forward(randn(1, 3, 48, 64)));
        var names = net.state_dict().Keys.ToList();
        Assert.Equal(stride <= 16, names.Any(n => n.StartsWith("score_pool4")));
        Assert.Equal(stride <= 8, names.Any(n => n.StartsWith("score_pool3")));
    }

    [Fact]
    public void NewScoreLayersStartAtZeroAndTwoXLayersAsBilinear()
    {
        using var scope = NewDisposeScope();
        var net = new Fcn(3, 3, Tiny with { OutputStride = 8 });
        var p = net.named_parameters().ToDictionary(t => t.name, t => t.parameter);
        foreach (var name in new[] { "score_fr.weight", "score_fr.bias", "score_pool4.weight", "score_pool4.bias", "score_pool3.weight", "score_pool3.bias" })
            Assert.Equal(0, p[name].abs().sum().item<float>());
        using var k = BilinearKernel.Kernel(2);
        Assert.True(p["upscore2.weight"][1, 1].allclose(k, rtol: 0, atol: 0));
        Assert.Equal(0, p["upscore2.weight"][0, 1].abs().sum().item<float>());
    }

    /// <summary>
    /// The paper's staged training: FCN-16s initialised from a (perturbed, "trained") FCN-32s computes exactly the 32s
    /// net's coarse scores upsampled 2x then 16x — its new pool4 scores add exactly zero, every shared weight is copied.
    /// Against the 32s net's own output (one 32x step) it is exact on every pixel in the middle half between two coarse
    /// centres on both axes (y mod 32 in [0, 8) or [24, 32)), and differs elsewhere. Then the same for FCN-8s from that
    /// 16s net after its pool4 scores have "trained" (y mod 16 in [0, 4) or [12, 16)).
    /// </summary>
    [Theory]
    [InlineData(FcnUpsampling.Learned)]
    [InlineData(FcnUpsampling.FixedBilinear)]
    [InlineData(FcnUpsampling.UpsampleConvolve)]
    public void StagedTrainingStartsFromTheCoarserNetsPredictions(FcnUpsampling kind)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        var x = randn(2, 3, 64, 96);
        var o = Tiny with { Upsampling = kind };
        var net32 = new Fcn(3, 5, o with { OutputStride = 32 });
        Perturb(net32, "stage", "fc", "score_fr");
        net32.eval();
        var net16 = new Fcn(3, 5, o with { OutputStride = 16 });
        net16.InitialiseFrom(net32);
        net16.eval();
        CheckStartsFrom(net32, net16, x, 32);

        Perturb(net16, "score_pool4");
        var net8 = new Fcn(3, 5, o with { OutputStride = 8 });
        net8.InitialiseFrom(net16);
        net8.eval();
        CheckStartsFrom(net16, net8, x, 16);
    }

    private static void CheckStartsFrom(Fcn coarse, Fcn fine, Tensor x, int factor)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var coarseScores = coarse.Scores(x);
        var coarseOut = coarse.forward(x);
        var fineOut = fine.forward(x);
        var twoStep = Interp(Interp(coarseScores, 2), factor / 2);
        Assert.True(fineOut.allclose(twoStep, rtol: 0, atol: 1e-5), $"max diff {(fineOut - twoStep).abs().max().item<float>()}");
        var exact1D = arange(x.shape[2]).remainder(factor);
        var rows = exact1D.lt(factor / 4).logical_or(exact1D.ge(3 * factor / 4));
        var c1D = arange(x.shape[3]).remainder(factor);
        var cols = c1D.lt(factor / 4).logical_or(c1D.ge(3 * factor / 4));
        var mask = rows.unsqueeze(1).logical_and(cols.unsqueeze(0)).expand_as(fineOut);
        var diff = (fineOut - coarseOut).abs();
        Assert.True(diff.masked_select(mask).max().item<float>() < 1e-5, $"differs on the exact pixels by {diff.masked_select(mask).max().item<float>()}");
        Assert.True(diff.max().item<float>() > 1e-4, "the two-step path should differ from one step near coarse centres");
    }

    [Fact]
    public void InitialiseFromRefusesANetThatIsNotCoarserOrDiffers()
    {
        using var scope = NewDisposeScope();
        var net16 = new Fcn(3, 5, Tiny with { OutputStride = 16 });
        var other16 = new Fcn(3, 5, Tiny with { OutputStride = 16 });
        Assert.Contains("coarser", Assert.Throws<ArgumentException>(() => net16.InitialiseFrom(other16)).Message);
        var wide32 = new Fcn(3, 5, Tiny with { FcWidth = 20 });
        Assert.Contains("fc6.weight", Assert.Throws<ArgumentException>(() => net16.InitialiseFrom(wide32)).Message);
        var classes32 = new Fcn(3, 6, Tiny);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() => net16.InitialiseFrom(classes32)).Message);
    }

    /// <summary>
    /// With VGG-16's layout (2-2-3-3-3 convolutions, 7x7 fc6) fc7's units see 404 pixels (212 at pool5 + 6 · 32), the
    /// figure usually quoted for FCN; each upsampling step then adds one coarse unit: +32 (32s), +32 +16 (16s),
    /// +32 +16 +8 (8s), ending at one pixel apart.
    /// </summary>
    [Fact]
    public void OutputFieldOfVgg16LayoutIsFc7s404PlusTheUpsampling()
    {
        using var scope = NewDisposeScope();
        var vgg = Tiny with { ConvsPerStage = new[] { 2, 2, 3, 3, 3 }, Fc6Kernel = 7 };
        var f32 = new Fcn(3, 2, vgg).OutputField();
        var f16 = new Fcn(3, 2, vgg with { OutputStride = 16 }).OutputField();
        var f8 = new Fcn(3, 2, vgg with { OutputStride = 8 }).OutputField();
        Assert.Equal(404 + 32, f32.Size);
        Assert.Equal(404 + 32 + 16, f16.Size);
        Assert.Equal(404 + 32 + 16 + 8, f8.Size);
        Assert.All(new[] { f32, f16, f8 }, f => Assert.Equal(1, f.Jump));
        var rc = new Fcn(3, 2, vgg with { OutputStride = 16, Upsampling = FcnUpsampling.UpsampleConvolve }).OutputField();
        Assert.Equal(404 + 32 + 2 * 16 + 16, rc.Size); // the 3x3 after the 2x resize adds two units of 16 px
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        Assert.Contains("24", Assert.Throws<ArgumentException>(() => new FcnOptions { OutputStride = 24 }.Validate()).Message);
        Assert.Contains("fc6 kernel 4", Assert.Throws<ArgumentException>(() => new FcnOptions { Fc6Kernel = 4 }.Validate()).Message);
        Assert.Contains("widths", Assert.Throws<ArgumentException>(() => new FcnOptions { Widths = new[] { 1, 2 } }.Validate()).Message);
    }
}
