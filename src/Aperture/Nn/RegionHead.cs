using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Nn;

/// <summary>
/// The fully connected layers on a pooled region, as fc6/fc7 of R-CNN and Fast R-CNN: flatten
/// <c>[R, F, h, w]</c>, Linear to <see cref="HiddenSize"/>, ReLU, Linear, ReLU. Returns the region features
/// <c>[R, HiddenSize]</c> that the classifiers (softmax, SVMs) and box regressors read.
/// </summary>
public sealed class RegionHead : Module<Tensor, Tensor>
{
    private readonly Linear _fc6, _fc7;
    private readonly double _dropout;

    /// <summary>
    /// Creates the head for pooled maps of <paramref name="channels"/> x <paramref name="poolSize"/>², with dropout of
    /// probability <paramref name="dropout"/> after each ReLU while training (VGG-16's fc6/fc7 in both papers: 0.5).
    /// </summary>
    public RegionHead(int channels, int poolSize, int hiddenSize, double dropout = 0) : base(nameof(RegionHead))
    {
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        _dropout = dropout;
        HiddenSize = hiddenSize;
        _fc6 = Linear(channels * poolSize * poolSize, hiddenSize);
        _fc7 = Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <summary>Size of the region feature vector.</summary>
    public int HiddenSize { get; }

    /// <summary>Region features <c>[R, HiddenSize]</c> of pooled maps <c>[R, F, h, w]</c>.</summary>
    public override Tensor forward(Tensor pooled)
    {
        var h = Drop(functional.relu(_fc6.forward(pooled.flatten(1))));
        return Drop(functional.relu(_fc7.forward(h)));
    }

    private Tensor Drop(Tensor x) => _dropout > 0 && training ? functional.dropout(x, _dropout, training: true) : x;
}
