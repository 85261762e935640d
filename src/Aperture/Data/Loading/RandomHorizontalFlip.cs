using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>Mirrors each image left-right with probability <see cref="Probability"/>, independently per image.</summary>
public sealed class RandomHorizontalFlip : IBatchTransform
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
    public Tensor Apply(Tensor images, Generator generator)
    {
        long b = images.shape[0];
        using var u = rand(new[] { b }, generator: generator);
        using var flip = u.lt(Probability).to(images.device).view(b, 1, 1, 1);
        using var mirrored = images.flip(3);
        return where(flip, mirrored, images);
    }
}
