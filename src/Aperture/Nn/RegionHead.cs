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
        PoolSize = poolSize;
        _fc6 = Linear(channels * poolSize * poolSize, hiddenSize);
        _fc7 = Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <summary>Side of the pooled maps it reads.</summary>
    public int PoolSize { get; }

    /// <summary>Size of the region feature vector.</summary>
    public int HiddenSize { get; }

    /// <summary>Region features <c>[R, HiddenSize]</c> of pooled maps <c>[R, F, h, w]</c>.</summary>
    public override Tensor forward(Tensor pooled) =>
        functional.relu(_fc7.forward(functional.relu(_fc6.forward(pooled.flatten(1)))));

    /// <summary>
    /// The same head for inference, fc6 and fc7 compressed by truncated SVD to ranks <paramref name="fc6Rank"/> and
    /// <paramref name="fc7Rank"/> (<see cref="TruncatedLinear"/>; 0, or a rank at or above the layer's smaller side, keeps
    /// it whole): a new module holding copies, so training this head is unaffected. Its fc6 reads the pooled map
    /// channels-last, its columns reordered to match, so the channels-last output of <see cref="Ops.RoiAlign"/> enters it
    /// without a copy.
    /// </summary>
    public Module<Tensor, Tensor> Truncated(int fc6Rank, int fc7Rank) => new InferenceHead(this, fc6Rank, fc7Rank);

    private sealed class InferenceHead : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> _fc6, _fc7;

        public InferenceHead(RegionHead head, int fc6Rank, int fc7Rank) : base(nameof(InferenceHead))
        {
            using var noGrad = no_grad();
            int side = head.PoolSize, channels = (int)head._fc6.in_features / (side * side);
            using var fc6 = head._fc6.weight!.detach().view(-1, channels, side, side).permute(0, 2, 3, 1).reshape(-1, side * side * channels);
            _fc6 = Layer(fc6, head._fc6.bias!, fc6Rank);
            _fc7 = Layer(head._fc7.weight!, head._fc7.bias!, fc7Rank);
            RegisterComponents();
        }

        private static Module<Tensor, Tensor> Layer(Tensor weight, Tensor bias, int rank)
        {
            if (rank > 0 && rank < Math.Min(weight.shape[0], weight.shape[1])) return TruncatedLinear.Of(weight, bias, rank);
            var copy = Linear(weight.shape[1], weight.shape[0], device: weight.device);
            copy.weight!.copy_(weight); copy.bias!.copy_(bias);
            return copy;
        }

        public override Tensor forward(Tensor pooled) =>
            functional.relu(_fc7.forward(functional.relu(_fc6.forward(pooled.permute(0, 2, 3, 1).flatten(1)))));
    }
}
