using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// A transform applied to a whole mini-batch at once by the <see cref="DataLoader"/>.
/// Random transforms draw only from the generator passed in, which the loader seeds from
/// (seed, epoch, batch index), so the same run gives the same batches however they are prefetched.
/// </summary>
public interface IBatchTransform
{
    /// <summary>Transforms a batch.</summary>
    /// <param name="images">Float pixels, shape <c>[B, C, H, W]</c>.</param>
    /// <param name="generator">The only source of randomness the transform may use.</param>
    /// <returns>Float pixels, shape <c>[B, C, H', W']</c>.</returns>
    Tensor Apply(Tensor images, Generator generator);
}
