using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// Applies several batch transforms one after the other, in the order given. On a <see cref="SampleBatch"/> every step
/// must be an <see cref="IPairedTransform"/>, so that no step moves pixels without their targets.
/// </summary>
public sealed class Compose : IPairedTransform
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

    /// <summary>Applies every step to images <c>[B, C, H, W]</c> and their targets (labels <c>[B]</c>, boxes <c>[K_i, 4]</c>,
    /// masks <c>[B, H, W]</c>); returns a new batch of images <c>[B, C, H', W']</c> and the moved targets.</summary>
    /// <exception cref="InvalidOperationException">A step transforms images only (it is not an <see cref="IPairedTransform"/>).</exception>
    public SampleBatch Apply(SampleBatch batch, Generator generator)
    {
        if (steps.FirstOrDefault(s => s is not IPairedTransform) is { } imageOnly)
            throw new InvalidOperationException($"{imageOnly.GetType().Name} transforms images only and cannot move masks or boxes with them");
        using var scope = NewDisposeScope();
        var current = batch;
        foreach (IPairedTransform step in steps) current = step.Apply(current, generator);
        if (ReferenceEquals(current, batch))
            current = new SampleBatch(batch.Images.alias(), batch.Labels?.alias(), PairedGeometry.Alias(batch.Boxes), PairedGeometry.Alias(batch.BoxLabels), batch.Masks?.alias());
        return current.MoveToOuterDisposeScope();
    }
}
