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

    /// <summary>Creates the head for pooled maps of <paramref name="channels"/> x <paramref name="poolSize"/>².</summary>
    public RegionHead(int channels, int poolSize, int hiddenSize) : base(nameof(RegionHead))
    {
        HiddenSize = hiddenSize;
        _fc6 = Linear(channels * poolSize * poolSize, hiddenSize);
        _fc7 = Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <summary>Size of the region feature vector.</summary>
    public int HiddenSize { get; }

    /// <summary>Region features <c>[R, HiddenSize]</c> of pooled maps <c>[R, F, h, w]</c>.</summary>
    public override Tensor forward(Tensor pooled) =>
        functional.relu(_fc7.forward(functional.relu(_fc6.forward(pooled.flatten(1)))));
}
