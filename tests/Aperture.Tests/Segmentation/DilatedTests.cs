using Aperture.Nn;
using Aperture.Segmentation;
using Aperture.Segmentation.Dilated;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Segmentation;

public class DilatedTests
{
    private static readonly DilatedOptions Tiny = new() { Widths = new[] { 4, 6, 8, 8, 8 }, ConvsPerStage = new[] { 1, 1, 1, 1, 1 }, FcWidth = 12, Dropout = 0 };

    [Fact]
    public void ContextModuleFieldsGrowAsInThePapersTable()
    {
        using var m = new ContextModule(5);
        var fields = ReceptiveField.Of(m.Geometry);
        Assert.Equal(new[] { 3, 5, 9, 17, 33, 65, 67, 67 }, fields.Select(f => f.Size));
        Assert.All(fields, f => Assert.Equal(1, f.Jump));
    }

    /// <summary>
    /// Identity initialisation: on non-negative input (what the paper's ReLUs let through) the untrained module is exactly
    /// the identity; on any scores it returns them minus each pixel's smallest score, so the class probabilities are
    /// exactly the input's.
    /// </summary>
    [Fact]
    public void UntrainedContextModulePassesScoresThrough()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        var m = new ContextModule(6);
        var positive = rand(2, 6, 20, 24);
        positive[.., 0].zero_(); // a zero score somewhere at every pixel: the shift is then zero too
        Assert.True(m.forward(positive).allclose(positive, rtol: 0, atol: 0));
        var s = randn(2, 6, 20, 24).mul(3);
        var y = m.forward(s);
        Assert.True(y.allclose(s - s.amin(new long[] { 1 }, keepdim: true), rtol: 0, atol: 1e-6));
        Assert.True(F.softmax(y, 1).allclose(F.softmax(s, 1), rtol: 0, atol: 1e-6));
    }

    /// <summary>
    /// The paper's Eq. 5 between widths: C channels fanned out into copies (3 → 6 → 12) and summed back (12 → 3) give
    /// the input back exactly on non-negative maps; the large module, whose widened layers add σ = C / (1000 c_out) noise
    /// to break the copies' symmetry, starts within 2% of the identity and keeps almost every pixel's class.
    /// </summary>
    [Fact]
    public void LargeContextModuleStartsAsTheIdentityOfThePapersEquationFive()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var up1 = nn.Conv2d(3, 6, 3, padding: 1);
        var up2 = nn.Conv2d(6, 12, 3, padding: 2, dilation: 2);
        var down = nn.Conv2d(12, 3, 1);
        foreach (var c in new[] { up1, up2, down }) IdentityInit.Apply(c, 3);
        var x = rand(2, 3, 9, 11);
        var y = down.forward(F.relu(up2.forward(F.relu(up1.forward(x)))));
        Assert.True(y.allclose(x, rtol: 0, atol: 0));
        Assert.Throws<ArgumentException>(() => IdentityInit.Apply(nn.Conv2d(3, 5, 3, padding: 1), 3));

        var large = new ContextModule(6, widths: new[] { 2, 2, 4, 8, 16, 32, 32 });
        Assert.Equal(new long[] { 192, 192, 3, 3 }, large.parameters().Skip(12).First().shape);   // layer 7: 32C → 32C
        var s = randn(2, 6, 16, 16).mul(3);
        var shifted = s - s.amin(new long[] { 1 }, keepdim: true);
        var z = large.forward(s);
        double relative = (z - shifted).abs().max().item<float>() / shifted.abs().max().item<float>();
        Assert.InRange(relative, 1e-6, 0.02);   // not exactly the identity (the noise), but within 2% of the largest score
        double agree = z.argmax(1).eq(s.argmax(1)).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(agree > 0.98, $"the untrained large module keeps the class of only {agree:P1} of the pixels");
        Assert.Contains("per context dilation", Assert.Throws<ArgumentException>(() => new DilatedOptions { ContextWidths = new[] { 2, 2 } }.Validate()).Message);
    }

    /// <summary>
    /// The network with a context module, initialised from a (perturbed, "trained") front end, predicts exactly what the
    /// front end predicts before the module trains: the same probabilities and the same per-pixel loss.
    /// </summary>
    [Fact]
    public void ContextNetworkStartsFromTheFrontEndsPredictions()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        var front = new DilatedNetwork(3, 4, Tiny with { ContextModule = false });
        using (no_grad()) foreach (var p in front.parameters()) p.copy_(randn_like(p).mul(0.3));
        front.eval();
        var full = new DilatedNetwork(3, 4, Tiny);
        full.InitialiseFrom(front);
        full.eval();
        var x = randn(2, 3, 64, 48);
        var a = front.forward(x);
        var b = full.forward(x);
        Assert.Equal(new long[] { 2, 4, 64, 48 }, b.shape);
        Assert.True(F.log_softmax(b, 1).allclose(F.log_softmax(a, 1), rtol: 0, atol: 1e-5));
        var labels = randint(0, 4, new long[] { 2, 64, 48 });
        Assert.Equal(F.cross_entropy(a, labels).item<float>(), F.cross_entropy(b, labels).item<float>(), 1e-5);
        Assert.True(a.abs().max().item<float>() > 0.1, "the perturbed front end should give non-trivial scores");
    }

    [Fact]
    public void FrozenFrontEndGetsNoGradientAndKeepsItsStatistics()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var net = new DilatedNetwork(3, 3, Tiny);
        net.train();
        var x = randn(2, 3, 32, 32);
        var before = net.state_dict()["stage1.layers.bn1_1.running_mean"].clone();
        var loss = F.cross_entropy(net.forward(x), randint(0, 3, new long[] { 2, 32, 32 }));
        loss.backward();
        foreach (var (name, p) in net.named_parameters())
            Assert.True(name.StartsWith("context.") == (p.grad is not null), $"{name}: gradient {(p.grad is null ? "missing" : "present")}");
        Assert.True(net.state_dict()["stage1.layers.bn1_1.running_mean"].allclose(before, rtol: 0, atol: 0));

        var joint = new DilatedNetwork(3, 3, Tiny with { FreezeFrontEnd = false });
        joint.train();
        F.cross_entropy(joint.forward(x), randint(0, 3, new long[] { 2, 32, 32 })).backward();
        Assert.All(joint.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void FrontEndKeepsStrideEightAndSeesAsFarAsTheUndilatedNet()
    {
        using var scope = NewDisposeScope();
        var vgg = Tiny with { ConvsPerStage = new[] { 2, 2, 3, 3, 3 }, Fc6Kernel = 7, ContextModule = false };
        var front = new DilatedNetwork(3, 2, vgg);
        Assert.Equal(new long[] { 1, 2, 8, 6 }, front.Scores(randn(1, 3, 64, 48)).shape);
        Assert.Equal(8, ((ISegmentationNetwork)front).InputMultiple);
        // Dilating conv5 by 2 and fc6 by 4 keeps every convolution's reach: VGG-16's fc7 sees 404 pixels, less the
        // 8 and 16 pixels pool4 and pool5 themselves added (2x2 windows at jumps 8 and 16): 380; +8 for the 8x upsampling.
        Assert.Equal(404 - 8 - 16 + 8, front.OutputField().Size);
        var full = new DilatedNetwork(3, 2, vgg with { ContextModule = true });
        Assert.Equal(404 - 8 - 16 + 66 * 8 + 8, full.OutputField().Size); // the module's 67 units of 8 px add 66 · 8
        Assert.Equal(1, full.OutputField().Jump);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Contains("fc6 kernel 2", Assert.Throws<ArgumentException>(() => new DilatedOptions { Fc6Kernel = 2 }.Validate()).Message);
        Assert.Contains("0", Assert.Throws<ArgumentException>(() => new DilatedOptions { ContextDilations = new[] { 1, 0 } }.Validate()).Message);
        using var net = new DilatedNetwork(3, 3, Tiny);
        Assert.Contains("multiples of 8", Assert.Throws<ArgumentException>(() => net.forward(zeros(1, 3, 30, 32))).Message);
        using var other = new DilatedNetwork(3, 3, Tiny with { FcWidth = 7 });
        Assert.Contains("fc6.weight", Assert.Throws<ArgumentException>(() => net.InitialiseFrom(other)).Message);
    }
}
