using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// Images with one class label each, held in memory: the common currency of the classification
/// datasets (IDX files such as Fashion-MNIST, image folders) and the input of the scene generator.
/// </summary>
/// <param name="Images">Pixels, <c>uint8</c>, shape <c>[N, C, H, W]</c>.</param>
/// <param name="Labels">Class indices, <c>int64</c>, shape <c>[N]</c>, each in <c>[0, ClassNames.Count)</c>.</param>
/// <param name="ClassNames">Names of the classes, indexed by label.</param>
/// <param name="Source">Where the data came from (a folder, a file, "repository sample"), said to the user.</param>
public sealed record LabeledImages(Tensor Images, Tensor Labels, IReadOnlyList<string> ClassNames, string Source) : IDisposable
{
    /// <summary>Number of images, N.</summary>
    public long Count => Images.shape[0];

    /// <summary>The images at <paramref name="indices"/> (int64 <c>[M]</c>), as a new set with the same class names.</summary>
    public LabeledImages Subset(Tensor indices, string? source = null) =>
        new(Images.index_select(0, indices), Labels.index_select(0, indices), ClassNames, source ?? Source);

    /// <summary>The first <paramref name="count"/> images of a seeded random permutation (all when count >= N).</summary>
    public LabeledImages RandomSubset(long count, long seed)
    {
        using var scope = NewDisposeScope();
        var order = randperm(Count, generator: new Generator((ulong)seed));
        var picked = Subset(order.narrow(0, 0, Math.Min(count, Count)), count >= Count ? Source : $"{Source} (random {Math.Min(count, Count)})");
        return new LabeledImages(picked.Images.MoveToOuterDisposeScope(), picked.Labels.MoveToOuterDisposeScope(), ClassNames, picked.Source);
    }

    /// <summary>
    /// Splits off a seeded random hold-out set of <paramref name="holdout"/> images (for validation); the rest is returned first.
    /// </summary>
    public (LabeledImages Remainder, LabeledImages Holdout) Split(long holdout, long seed)
    {
        if (holdout <= 0 || holdout >= Count)
            throw new ArgumentOutOfRangeException(nameof(holdout), holdout, $"hold-out size must lie in (0, {Count})");
        using var scope = NewDisposeScope();
        var order = randperm(Count, generator: new Generator((ulong)seed));
        var rest = Subset(order.narrow(0, holdout, Count - holdout));
        var held = Subset(order.narrow(0, 0, holdout), $"{Source} (hold-out {holdout})");
        return (new LabeledImages(rest.Images.MoveToOuterDisposeScope(), rest.Labels.MoveToOuterDisposeScope(), ClassNames, Source),
                new LabeledImages(held.Images.MoveToOuterDisposeScope(), held.Labels.MoveToOuterDisposeScope(), ClassNames, held.Source));
    }

    /// <summary>Frees the native tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
