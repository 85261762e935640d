using Aperture.Data;
using Aperture.Data.Loading;
using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>
/// Mini-batches of images and masks for the segmentation trainer: the seeded <see cref="EpochSampler"/> picks the
/// images, each is cut to <c>crop x crop</c> by the paired <see cref="RandomCrop"/> (images smaller than the crop are
/// padded: pixels with 0, masks with the ignore label 255, so padding is never scored), the batch is mirrored by the
/// paired <see cref="RandomHorizontalFlip"/> (masks move with their images) and standardised by <see cref="Normalize"/>.
/// Epoch 0 is the fixed evaluation pass: file order, no flip.
/// </summary>
public static class SegmentationBatches
{
    /// <summary>The batches of one epoch.</summary>
    /// <param name="images">The images (tensors made before enumeration; not disposed).</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="crop">Side of the training window (a multiple of the network's <see cref="ISegmentationNetwork.InputMultiple"/>).</param>
    /// <param name="flip">Mirror half the images (training epochs only).</param>
    /// <param name="mean">Per-channel mean in [0, 1].</param>
    /// <param name="std">Per-channel standard deviation.</param>
    /// <param name="seed">Seed of order, crops and flips.</param>
    /// <param name="epoch">Epoch number, 1-based for training; 0 for a fixed evaluation pass.</param>
    /// <returns>Batches: images <c>float32 [B, 3, crop, crop]</c>, masks <c>int64 [B, crop, crop]</c>; the consumer disposes them.</returns>
    public static IEnumerable<SampleBatch> Epoch(IReadOnlyList<SegmentationImage> images, int batchSize, int crop, bool flip, float[] mean, float[] std,
        long seed, int epoch)
    {
        if (crop < 1) throw new ArgumentOutOfRangeException(nameof(crop), crop, "the crop side must be positive");
        var sampler = new EpochSampler(images.Count, seed, fileOrderAtEpochZero: true);
        var normalize = new Normalize(mean, std);
        foreach (var b in sampler.Batches(epoch, batchSize))
        {
            using var generator = b.TorchGenerator();
            var pixels = new List<Tensor>(b.Size);
            var masks = new List<Tensor>(b.Size);
            foreach (long i in b.Examples)
            {
                var im = images[(int)i];
                int pad = Math.Max(0, (crop - Math.Min(im.Height, im.Width) + 1) / 2);
                var one = new SampleBatch(im.Image.unsqueeze(0).to_type(ScalarType.Float32).div(255f), Masks: im.Mask.unsqueeze(0).to_type(ScalarType.Int64));
                var cut = new RandomCrop(crop, crop, pad, PixelCrossEntropy.IgnoreLabel).Apply(one, generator);
                pixels.Add(cut.Images);
                masks.Add(cut.Masks!);
            }
            var batch = new SampleBatch(cat(pixels, 0), Masks: cat(masks, 0));
            if (flip && epoch > 0) batch = new RandomHorizontalFlip().Apply(batch, generator);
            yield return normalize.Apply(batch, generator);
        }
    }

    /// <summary>Batches per training epoch.</summary>
    public static long PerEpoch(int images, int batchSize) => new EpochSampler(images, 0).BatchCount(batchSize);
}
