using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>Per-channel standardisation: <c>(x - mean[c]) / std[c]</c>. Paired: the targets are passed through unchanged.</summary>
public sealed class Normalize : IPairedTransform
{
    private readonly float[] mean, std;

    /// <summary>One mean and standard deviation for every channel.</summary>
    public Normalize(float mean, float std) : this(new[] { mean }, new[] { std }) { }

    /// <summary>A mean and standard deviation per channel (or one value for all).</summary>
    /// <exception cref="ArgumentException">The arrays differ in length, are empty, or a std is not positive.</exception>
    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"normalise needs as many means as standard deviations (got {mean.Length} and {std.Length}), at least one");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"standard deviations must be > 0, got [{string.Join(", ", std)}]");
        this.mean = mean.ToArray();
        this.std = std.ToArray();
    }

    /// <summary>Fashion-MNIST's training-set statistics (mean 0.2860, std 0.3530).</summary>
    public static Normalize FashionMnist { get; } = new(Data.FashionMnist.Mean, Data.FashionMnist.Std);

    /// <summary>MNIST's training-set statistics (mean 0.1307, std 0.3081).</summary>
    public static Normalize Mnist { get; } = new(Data.Mnist.Mean, Data.Mnist.Std);

    /// <summary>Standardises images <c>[B, C, H, W]</c> (float); returns the same shape.</summary>
    /// <exception cref="ArgumentException">C differs from the number of channels given (and that is not 1).</exception>
    public Tensor Apply(Tensor images, Generator generator)
    {
        long c = images.shape[1];
        if (mean.Length != 1 && mean.Length != c)
            throw new ArgumentException($"normalise was given {mean.Length} channel statistics but the images have {c} channels");
        using var m = tensor(mean, dtype: images.dtype, device: images.device).view(1, -1, 1, 1);
        using var s = tensor(std, dtype: images.dtype, device: images.device).view(1, -1, 1, 1);
        return (images - m).div_(s);
    }

    /// <summary>Standardises images <c>[B, C, H, W]</c>; labels <c>[B]</c>, boxes <c>[K_i, 4]</c>, box labels and masks <c>[B, H, W]</c> pass unchanged.</summary>
    /// <exception cref="ArgumentException">C differs from the number of channels given (and that is not 1).</exception>
    public SampleBatch Apply(SampleBatch batch, Generator generator) =>
        new(Apply(batch.Images, generator), batch.Labels?.alias(), PairedGeometry.Alias(batch.Boxes), PairedGeometry.Alias(batch.BoxLabels), batch.Masks?.alias());
}
