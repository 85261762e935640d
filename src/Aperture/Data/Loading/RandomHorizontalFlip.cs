using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// Mirrors each image left-right with probability <see cref="Probability"/>, independently per image. Paired: a
/// mirrored image's mask is mirrored too and its boxes become <c>(W - x2, y1, W - x1, y2)</c>.
/// </summary>
public sealed class RandomHorizontalFlip : IPairedTransform
{
    /// <summary>Flips with probability <paramref name="probability"/> in [0, 1].</summary>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "must be in [0, 1]");
        Probability = probability;
    }

    /// <summary>The chance that an image is flipped.</summary>
    public double Probability { get; }

    /// <summary>Flips a random subset of images <c>[B, C, H, W]</c>; returns the same shape.</summary>
    public Tensor Apply(Tensor images, Generator generator) => Apply(new SampleBatch(images), generator).Images;

    /// <summary>
    /// Flips a random subset of images <c>[B, C, H, W]</c> with their masks <c>[B, H, W]</c> and boxes <c>[K_i, 4]</c>;
    /// every shape is kept (no box is dropped).
    /// </summary>
    /// <exception cref="ArgumentException">The batch's shapes disagree.</exception>
    public SampleBatch Apply(SampleBatch batch, Generator generator)
    {
        batch.Validate();
        using var scope = NewDisposeScope();
        var images = batch.Images;
        long b = images.shape[0], w = images.shape[3];
        var flip = rand(new[] { b }, generator: generator).lt(Probability);
        var result = where(flip.to(images.device).view(b, 1, 1, 1), images.flip(3), images);
        var masks = batch.Masks is null ? null : where(flip.to(batch.Masks.device).view(b, 1, 1), batch.Masks.flip(2), batch.Masks);
        List<Tensor>? boxes = null;
        if (batch.Boxes is not null)
        {
            bool[] flipped = flip.data<bool>().ToArray();
            boxes = new List<Tensor>(batch.Boxes.Count);
            for (int i = 0; i < batch.Boxes.Count; i++)
            {
                var src = batch.Boxes[i];
                boxes.Add(flipped[i]
                    ? stack(new[] { src[.., 2].neg().add(w), src[.., 1], src[.., 0].neg().add(w), src[.., 3] }, 1)
                    : src.alias());
            }
        }
        return new SampleBatch(result, batch.Labels?.alias(), boxes, PairedGeometry.Alias(batch.BoxLabels), masks).MoveToOuterDisposeScope();
    }
}
