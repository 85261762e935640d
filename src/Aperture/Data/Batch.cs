using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>A mini-batch for supervised classification.</summary>
/// <param name="Images">Float pixels after the loader's transforms, shape <c>[B, C, H, W]</c>.</param>
/// <param name="Labels">Class indices, <c>int64</c>, shape <c>[B]</c>.</param>
public sealed record Batch(Tensor Images, Tensor Labels) : IDisposable
{
    /// <summary>Number of examples, B.</summary>
    public long Size => Images.shape[0];

    /// <summary>Frees the native tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
