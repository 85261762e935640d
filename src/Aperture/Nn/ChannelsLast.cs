using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// The channels-last memory layout (NHWC, or NDHWC for volumes) for a network's input: the same values, stored with the
/// channels innermost. On CPU, libtorch's oneDNN convolutions take the channels-last kernels whenever their input is
/// channels-last, and every following convolution, batch norm, ReLU, pooling and concatenation keeps the layout — so
/// converting the input once switches the whole network, forward and backward, to the kernels that suit narrow layers
/// (8–64 channels on big maps, where the default NCHW path is bound by memory traffic rather than arithmetic).
/// The parameters stay in the default layout, so checkpoints and exported weights are unchanged.
/// <para>
/// TorchSharp has no <c>memory_format</c> argument on <c>contiguous</c> or <c>to</c>, so the layout is made the way
/// PyTorch defines it: permute the channels last, copy contiguously, and permute back — a tensor of the original shape
/// whose strides are channels-last, which libtorch recognises as such.
/// </para>
/// </summary>
public static class ChannelsLast
{
    /// <summary>
    /// <paramref name="x"/> (<c>[N, C, H, W]</c> or <c>[N, C, D, H, W]</c>) with channels-last strides; differentiable
    /// (the gradient comes back in the caller's layout). Other ranks are returned unchanged.
    /// </summary>
    public static Tensor Of(Tensor x) => x.dim() switch
    {
        4 => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
        5 => x.permute(0, 2, 3, 4, 1).contiguous().permute(0, 4, 1, 2, 3),
        _ => x,
    };

    /// <summary>True when <paramref name="x"/> (4-D or 5-D) is stored channels-last: channel stride 1, densely packed.</summary>
    public static bool Is(Tensor x)
    {
        if (x.dim() is not (4 or 5)) return false;
        var strides = x.stride();
        long c = x.shape[1];
        return strides[1] == 1 && strides[^1] == c;
    }
}
