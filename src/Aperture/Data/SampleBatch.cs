using static TorchSharp.torch;

namespace Aperture.Data;

/// <summary>
/// A mini-batch of images with whichever targets the task has: class labels, per-image boxes with their labels,
/// per-pixel class masks. The paired transforms of <c>Aperture.Data.Loading</c> (<see cref="Loading.IPairedTransform"/>) move every present target with its image.
/// </summary>
/// <remarks>
/// Volumes are meant to use the same record later: images <c>[B, C, D, H, W]</c> and masks <c>[B, D, H, W]</c>; the
/// transforms of today accept only 2-D images. Ownership: disposing the batch disposes every tensor it holds.
/// </remarks>
/// <param name="Images">Pixels, shape <c>[B, C, H, W]</c> (float after the loader's scaling, or <c>uint8</c>).</param>
/// <param name="Labels">One class index per image, <c>int64 [B]</c>, or null.</param>
/// <param name="Boxes">Per image, boxes <c>float32 [K_i, 4]</c> of <c>(x1, y1, x2, y2)</c> in pixels with exclusive
/// x2/y2 (as <see cref="Ops.Box"/>), or null. Same length as <see cref="BoxLabels"/> when both are given.</param>
/// <param name="BoxLabels">Per image, the class index of each box, <c>int64 [K_i]</c>, or null.</param>
/// <param name="Masks">Per-pixel class indices, <c>int64</c> or <c>uint8 [B, H, W]</c>, or null.</param>
public sealed record SampleBatch(Tensor Images, Tensor? Labels = null, IReadOnlyList<Tensor>? Boxes = null,
    IReadOnlyList<Tensor>? BoxLabels = null, Tensor? Masks = null) : IDisposable
{
    /// <summary>Number of examples, B.</summary>
    public long Size => Images.shape[0];

    /// <summary>Image height, H (the second-to-last dimension of <see cref="Images"/> <c>[B, C, H, W]</c>).</summary>
    public long Height => Images.shape[^2];

    /// <summary>Image width, W (the last dimension of <see cref="Images"/> <c>[B, C, H, W]</c>).</summary>
    public long Width => Images.shape[^1];

    /// <summary>
    /// Checks that the members agree: images <c>[B, C, H, W]</c>, labels <c>[B]</c>, B box tensors <c>[K_i, 4]</c>
    /// with B label tensors <c>[K_i]</c>, masks <c>[B, H, W]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A member's shape disagrees with the images, naming which.</exception>
    public void Validate()
    {
        if (Images.dim() != 4)
            throw new ArgumentException($"images must be [B, C, H, W], got [{Shape(Images)}]");
        long b = Size;
        if (Labels is not null && (Labels.dim() != 1 || Labels.shape[0] != b))
            throw new ArgumentException($"labels must be [{b}], got [{Shape(Labels)}]");
        if (Masks is not null && (Masks.dim() != 3 || Masks.shape[0] != b || Masks.shape[1] != Height || Masks.shape[2] != Width))
            throw new ArgumentException($"masks must be [{b}, {Height}, {Width}], got [{Shape(Masks)}]");
        if (Masks is not null && Masks.is_floating_point())
            throw new ArgumentException($"masks must hold class indices (int64 or uint8), got {Masks.dtype}");
        if (Boxes is not null && Boxes.Count != b)
            throw new ArgumentException($"expected boxes for {b} images, got {Boxes.Count}");
        if (BoxLabels is not null && BoxLabels.Count != b)
            throw new ArgumentException($"expected box labels for {b} images, got {BoxLabels.Count}");
        for (int i = 0; Boxes is not null && i < b; i++)
        {
            if (Boxes[i].dim() != 2 || Boxes[i].shape[1] != 4)
                throw new ArgumentException($"image {i}: boxes must be [K, 4], got [{Shape(Boxes[i])}]");
            if (BoxLabels is not null && (BoxLabels[i].dim() != 1 || BoxLabels[i].shape[0] != Boxes[i].shape[0]))
                throw new ArgumentException($"image {i}: {Boxes[i].shape[0]} boxes but box labels [{Shape(BoxLabels[i])}]");
        }
    }

    /// <summary>The classification view: images <c>[B, C, H, W]</c> and labels <c>[B]</c> (the same tensors, not copies).</summary>
    /// <exception cref="InvalidOperationException">The batch has no class labels.</exception>
    public Batch ToBatch() =>
        new(Images, Labels ?? throw new InvalidOperationException("this batch has no class labels"));

    /// <summary>Every tensor of the batch: images, labels, masks, then each image's boxes and box labels.</summary>
    public IEnumerable<Tensor> Tensors()
    {
        yield return Images;
        if (Labels is not null) yield return Labels;
        if (Masks is not null) yield return Masks;
        foreach (var t in Boxes ?? []) yield return t;
        foreach (var t in BoxLabels ?? []) yield return t;
    }

    /// <summary>Detaches every tensor from the dispose scopes it belongs to (so it outlives them); returns this batch.</summary>
    public SampleBatch DetachFromDisposeScope()
    {
        foreach (var t in Tensors()) t.DetachFromDisposeScope();
        return this;
    }

    /// <summary>Moves every tensor to the dispose scope outside the current one (see TorchSharp's <c>MoveToOuterDisposeScope</c>); returns this batch.</summary>
    public SampleBatch MoveToOuterDisposeScope()
    {
        foreach (var t in Tensors()) t.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Frees every native tensor of the batch.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }

    private static string Shape(Tensor t) => string.Join(", ", t.shape);
}
