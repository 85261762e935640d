using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// The channel-wise fully connected layer of Pathak et al. 2016 (section 3.1): each of the C feature maps of size
/// n = H·W is connected to itself by its own n x n weight matrix, with no weight between maps — C·n² parameters instead
/// of the (C·n)² of a full layer — so every output location sees the whole map of its channel. Cross-channel mixing is
/// left to the 1x1 convolution after it. <c>[B, C, H, W]</c> → <c>[B, C, H, W]</c>.
/// </summary>
public sealed class ChannelWiseFullyConnected : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight, bias;

    /// <summary>Builds it, initialised like a linear layer of fan-in n (uniform in ±1/√n).</summary>
    /// <param name="channels">C.</param>
    /// <param name="size">n = H · W.</param>
    public ChannelWiseFullyConnected(int channels, int size) : base(nameof(ChannelWiseFullyConnected))
    {
        if (channels < 1 || size < 1) throw new ArgumentException($"channel-wise fully connected layer needs C, n >= 1 (got {channels}, {size})");
        double bound = 1 / Math.Sqrt(size);
        weight = nn.Parameter(rand(channels, size, size).mul(2 * bound).sub(bound));
        bias = nn.Parameter(rand(channels, size).mul(2 * bound).sub(bound));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>y[b, c, :] = x[b, c, :] · W_c + b_c over the flattened maps.</summary>
    public override Tensor forward(Tensor x)
    {
        long c = weight.shape[0], n = weight.shape[1];
        if (x.dim() != 4 || x.shape[1] != c || x.shape[2] * x.shape[3] != n)
            throw new ArgumentException($"expected [B, {c}, H, W] with H·W = {n}, got [{string.Join(", ", x.shape)}]");
        var flat = x.reshape(x.shape[0], c, n).permute(1, 0, 2);          // [C, B, n]
        var y = flat.bmm(weight).permute(1, 0, 2) + bias.unsqueeze(0);  // [B, C, n]
        return y.reshape(x.shape);
    }
}
