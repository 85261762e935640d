using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>How <see cref="Resize"/> resamples images (masks are always resampled by nearest neighbour).</summary>
public enum ResizeMode
{
    /// <summary>Bilinear interpolation, anti-aliased when shrinking.</summary>
    Bilinear,

    /// <summary>Area averaging (box filter), for shrinking by large factors.</summary>
    Area,
}

/// <summary>
/// Resamples every image to a fixed size (bilinear, anti-aliased when shrinking, or area averaging). Paired: masks are
/// resampled by nearest neighbour, boxes scaled by the size ratios, and boxes left under one pixel dropped with their labels.
/// </summary>
public sealed class Resize : IPairedTransform
{
    /// <summary>Resizes to <paramref name="height"/> x <paramref name="width"/>, images resampled by <paramref name="mode"/>.</summary>
    public Resize(int height, int width, ResizeMode mode = ResizeMode.Bilinear)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"size must be > 0, got {height}x{width}");
        Height = height;
        Width = width;
        Mode = mode;
    }

    /// <summary>Resizes to a square of side <paramref name="size"/>, bilinear.</summary>
    public Resize(int size) : this(size, size) { }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>How images are resampled.</summary>
    public ResizeMode Mode { get; }

    /// <summary>Resizes images <c>[B, C, H, W]</c> (float) to <c>[B, C, Height, Width]</c>.</summary>
    public Tensor Apply(Tensor images, Generator generator) => Apply(new SampleBatch(images), generator).Images;

    /// <summary>
    /// Resizes images <c>[B, C, H, W]</c> to <c>[B, C, Height, Width]</c>, masks <c>[B, H, W]</c> to <c>[B, Height, Width]</c>
    /// (nearest: pixel <c>j</c> takes source pixel <c>floor(j * W / Width)</c>), and scales boxes <c>[K_i, 4]</c> by
    /// <c>Width / W</c> and <c>Height / H</c> (boxes under one pixel afterwards are dropped: <c>[K'_i, 4]</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The batch's shapes disagree.</exception>
    public SampleBatch Apply(SampleBatch batch, Generator generator)
    {
        batch.Validate();
        using var scope = NewDisposeScope();
        var images = batch.Images;
        long b = images.shape[0], h = images.shape[2], w = images.shape[3];
        if (h == Height && w == Width)
            return new SampleBatch(images.alias(), batch.Labels?.alias(), PairedGeometry.Alias(batch.Boxes), PairedGeometry.Alias(batch.BoxLabels),
                batch.Masks?.alias()).MoveToOuterDisposeScope();
        var size = new long[] { Height, Width };
        bool shrinking = h > Height || w > Width;
        var resized = Mode == ResizeMode.Area
            ? nn.functional.interpolate(images, size, mode: InterpolationMode.Area)
            : nn.functional.interpolate(images, size, mode: InterpolationMode.Bilinear, align_corners: false, antialias: shrinking);
        var masks = batch.Masks is null ? null
            : nn.functional.interpolate(batch.Masks.unsqueeze(1).to_type(ScalarType.Float32), size, mode: InterpolationMode.Nearest)
                .squeeze(1).to_type(batch.Masks.dtype);
        var zeros = new long[b];
        var (boxes, boxLabels) = PairedGeometry.MapClipDrop(batch, (float)Width / w, (float)Height / h, zeros, zeros, Width, Height);
        return new SampleBatch(resized, batch.Labels?.alias(), boxes, boxLabels, masks).MoveToOuterDisposeScope();
    }
}
