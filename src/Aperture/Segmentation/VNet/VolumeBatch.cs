using static TorchSharp.torch;

namespace Aperture.Segmentation.VNet;

/// <summary>A mini-batch of volumes or patches: normalised intensities <c>float32 [B, C, D, H, W]</c> and labels
/// <c>int64 [B, D, H, W]</c>.</summary>
/// <param name="Images">Intensities.</param>
/// <param name="Labels">Class ids.</param>
public sealed record VolumeBatch(Tensor Images, Tensor Labels) : IDisposable
{
    /// <summary>B.</summary>
    public long Size => Images.shape[0];

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
