using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

/// <summary>Exact tensor comparison for tests.</summary>
internal static class TensorAssert
{
    /// <summary>True when both tensors have the same shape and every element is equal.</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && (a.numel() == 0 || a.eq(b).all().item<bool>());
}
