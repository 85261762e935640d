namespace Aperture.Data.Loading;

/// <summary>
/// A batch transform that moves the targets with the pixels: a crop or flip of an image crops or flips its mask and
/// moves its boxes the same way (dropping boxes that leave the image). Randomness comes only from the generator passed
/// in. The image-only <see cref="IBatchTransform.Apply"/> of such a transform is the case of a batch without targets.
/// </summary>
public interface IPairedTransform : IBatchTransform
{
    /// <summary>Transforms images and every target present.</summary>
    /// <param name="batch">Images <c>[B, C, H, W]</c> with optional labels <c>[B]</c>, boxes <c>[K_i, 4]</c> with box
    /// labels <c>[K_i]</c>, masks <c>[B, H, W]</c>. Not disposed or changed.</param>
    /// <param name="generator">The only source of randomness the transform may use.</param>
    /// <returns>A new batch (new tensors, in the caller's dispose scope): images <c>[B, C, H', W']</c>, labels <c>[B]</c>,
    /// boxes <c>[K'_i, 4]</c> inside the new image with their labels <c>[K'_i]</c>, masks <c>[B, H', W']</c>.</returns>
    SampleBatch Apply(SampleBatch batch, TorchSharp.torch.Generator generator);
}
