using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>A mini-batch with image-level multi-label targets.</summary>
/// <param name="Images">Network input, <c>float32 [B, C, H, W]</c> (normalised).</param>
/// <param name="Targets">Multi-hot targets, <c>float32 [B, K]</c>: 1 where the class is in the image.</param>
public sealed record MultiLabelBatch(Tensor Images, Tensor Targets) : IDisposable
{
    /// <summary>Number of images, B.</summary>
    public long Size => Images.shape[0];

    /// <summary>Frees the native tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Targets.Dispose();
    }
}
