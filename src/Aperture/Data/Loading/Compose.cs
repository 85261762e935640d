using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>Applies several batch transforms one after the other, in the order given.</summary>
public sealed class Compose : IBatchTransform
{
    private readonly IBatchTransform[] steps;

    /// <summary>Chains <paramref name="steps"/>, first to last.</summary>
    public Compose(params IBatchTransform[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        this.steps = steps.ToArray();
    }

    /// <summary>The transforms, in order.</summary>
    public IReadOnlyList<IBatchTransform> Steps => steps;

    /// <summary>Applies every step to images <c>[B, C, H, W]</c> (float); returns <c>[B, C, H', W']</c>.</summary>
    public Tensor Apply(Tensor images, Generator generator)
    {
        foreach (var step in steps) images = step.Apply(images, generator);
        return images;
    }
}
