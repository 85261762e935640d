using Aperture.Data.Scenes;
using Aperture.Segmentation.Dilated;
using Aperture.Segmentation.Fcn;
using Aperture.Segmentation.PixelWindow;
using Aperture.Segmentation;
using Aperture.Tests.Data.Scenes;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Tests.Segmentation;

/// <summary>
/// Each network with its default settings takes a few Adam steps of per-pixel cross-entropy on two real 64x64 scenes
/// (Fashion-MNIST items, the shipped sample where the full set is absent): the loss falls, so gradients reach the
/// parameters through the whole forward pass, including the staged and frozen set-ups.
/// </summary>
public class SegmentationNetworkTrainingTests
{
    private const int K = 11; // ten Fashion-MNIST classes + background

    public static TheoryData<string> Networks => new() { "pixel-window", "fcn32s", "fcn16s", "fcn8s", "dilated-frontend", "dilated" };

    private static (Tensor Images, Tensor Masks) Scenes()
    {
        using var items = FashionMnistSample.Load();
        var gen = new SceneGenerator(items, 5, new SceneOptions { Width = 64, Height = 64, MaxItems = 3, MinScale = 1.0, MaxScale = 1.6 });
        var scenes = gen.Generate(0, 2);
        var images = stack(scenes.Select(s => s.ImageTensor()).ToArray()).to_type(ScalarType.Float32).div(255).sub(0.45).div(0.25);
        var masks = stack(scenes.Select(s => s.ClassMaskTensor()).ToArray()).to_type(ScalarType.Int64);
        return (images, masks);
    }

    private static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "pixel-window" => new PixelWindowNetwork(3, K),
        "fcn32s" => new Fcn(3, K),
        "fcn16s" => Staged(16, new Fcn(3, K)),
        "fcn8s" => Staged(8, Staged(16, new Fcn(3, K))),
        "dilated-frontend" => new DilatedNetwork(3, K, new DilatedOptions { ContextModule = false }),
        _ => FromFrontEnd(),
    };

    private static Fcn Staged(int stride, Fcn coarser)
    {
        var net = new Fcn(3, K, new FcnOptions { OutputStride = stride });
        net.InitialiseFrom(coarser);
        return net;
    }

    private static DilatedNetwork FromFrontEnd()
    {
        var net = new DilatedNetwork(3, K);
        net.InitialiseFrom(new DilatedNetwork(3, K, new DilatedOptions { ContextModule = false }));
        return net;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void PerPixelLossFallsOverAFewSteps(string name)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var (images, masks) = Scenes();
        Assert.True(masks.gt(0).any().item<bool>(), "the scenes should hold items");
        var net = Create(name);
        var seg = (ISegmentationNetwork)net;
        Assert.Equal(0, 64 % seg.InputMultiple);
        Assert.True(seg.OutputField().Size > 1);
        net.train();
        var trainable = net.parameters().Where(p => p.requires_grad).ToList();
        // The context module alone trains on a frozen (here untrained, near-zero) front end: its input carries little, so it
        // takes more and larger steps (with the shipped sample's scenes, 20 steps at 3e-3 lowered the loss by only 8%).
        var opt = ScalarSafeOptimizers.Adam(trainable, lr: name == "dilated" ? 1e-2 : 3e-3);
        var losses = new List<float>();
        int steps = name == "dilated" ? 20 : 12;
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var logits = net.forward(images);
            Assert.Equal(new long[] { 2, K, 64, 64 }, logits.shape);
            var loss = F.cross_entropy(logits, masks);
            loss.backward();
            opt.step();
            losses.Add(loss.item<float>());
        }
        Assert.True(losses.Skip(steps - 3).Average() < 0.8 * losses[0], $"{name}: losses {string.Join(", ", losses.Select(l => l.ToString("0.000")))}");
    }
}
