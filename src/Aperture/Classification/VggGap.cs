using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Classification;

/// <summary>
/// A small VGG-style network (Simonyan &amp; Zisserman 2015: stacks of 3x3 convolutions with ReLU, halved
/// by 2x2 max pooling) that ends, as in Lin et al.'s "Network in Network" and Zhou et al.'s CAM paper,
/// in global average pooling and one linear layer — so class activation maps can be read off it.
/// Batch normalisation after each convolution (Ioffe &amp; Szegedy 2015) makes it train in a few epochs.
/// </summary>
public sealed class VggGap : Module<Tensor, Tensor>
{
    /// <summary>The convolutional body: <c>[N, C, H, W]</c> to the last feature maps <c>[N, F, H/4, W/4]</c>.</summary>
    public Sequential Features { get; }

    /// <summary>The linear classifier on the pooled features: weights <c>[K, F]</c>, bias <c>[K]</c>.</summary>
    public Linear Classifier { get; }

    /// <summary>Channels of the three stages.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">K, the number of classes.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="widths">Channels of the three stages; the first two stages end in 2x2 max pooling.</param>
    public VggGap(int numClasses = 10, int inChannels = 1, int[]? widths = null) : base(nameof(VggGap))
    {
        widths ??= new[] { 16, 32, 64 };
        if (widths.Length != 3) throw new ArgumentException("VGG-GAP has three stages: give three widths", nameof(widths));
        Widths = widths.ToArray();
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int c = inChannels;
        for (int stage = 0; stage < 3; stage++)
        {
            for (int j = 1; j <= 2; j++)
            {
                string n = $"conv{stage + 1}_{j}";
                layers.Add((n, Conv2d(c, widths[stage], 3, padding: 1, bias: false)));
                layers.Add(($"bn{stage + 1}_{j}", BatchNorm2d(widths[stage])));
                layers.Add(($"relu{stage + 1}_{j}", ReLU(inplace: true)));
                c = widths[stage];
            }
            if (stage < 2) layers.Add(($"pool{stage + 1}", MaxPool2d(2)));
        }
        Features = Sequential(layers);
        Classifier = Linear(c, numClasses);
        RegisterComponents();
    }

    /// <summary>Class scores (logits) <c>[N, K]</c> for images <c>[N, C, H, W]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = Features.forward(x);
        var pooled = f.mean(new long[] { 2, 3 });
        return Classifier.forward(pooled).MoveToOuterDisposeScope();
    }
}
