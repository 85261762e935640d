using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// Pads each image with <see cref="Padding"/> zero pixels on every side, then cuts a
/// <see cref="Height"/> x <see cref="Width"/> window at a random place, independently per image
/// (the classic "pad 4 and crop" augmentation). Done for the whole batch by two gathers. Paired: the mask is padded
/// with <see cref="MaskFill"/> and cut at the same place; boxes are shifted, clipped to the window, and those left
/// narrower or lower than one pixel are dropped with their labels.
/// </summary>
public sealed class RandomCrop : IPairedTransform
{
    /// <summary>A square crop of side <paramref name="size"/> after zero padding of <paramref name="padding"/> pixels.</summary>
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    /// <summary>A <paramref name="height"/> x <paramref name="width"/> crop after zero padding of <paramref name="padding"/> pixels;
    /// masks are padded with <paramref name="maskFill"/> (0 = background; e.g. 255 for an "ignore" class).</summary>
    public RandomCrop(int height, int width, int padding, long maskFill = 0)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"crop size must be > 0, got {height}x{width}");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be >= 0");
        Height = height;
        Width = width;
        Padding = padding;
        MaskFill = maskFill;
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Zero pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <summary>The class written into the padding of masks.</summary>
    public long MaskFill { get; }

    /// <summary>Crops images <c>[B, C, H, W]</c> (float) to <c>[B, C, Height, Width]</c>.</summary>
    /// <exception cref="ArgumentException">The padded image is smaller than the crop.</exception>
    public Tensor Apply(Tensor images, Generator generator) => Apply(new SampleBatch(images), generator).Images;

    /// <summary>
    /// Crops images <c>[B, C, H, W]</c> to <c>[B, C, Height, Width]</c>, masks <c>[B, H, W]</c> to <c>[B, Height, Width]</c>
    /// at the same places, and moves boxes <c>[K_i, 4]</c> into the window (<c>[K'_i, 4]</c>, with their labels).
    /// </summary>
    /// <exception cref="ArgumentException">The padded image is smaller than the crop, or the batch's shapes disagree.</exception>
    public SampleBatch Apply(SampleBatch batch, Generator generator)
    {
        batch.Validate();
        using var scope = NewDisposeScope();
        var images = batch.Images;
        long b = images.shape[0], hp = images.shape[2] + 2L * Padding, wp = images.shape[3] + 2L * Padding;
        if (hp < Height || wp < Width)
            throw new ArgumentException($"cannot crop {Height}x{Width} from images of {images.shape[2]}x{images.shape[3]} padded by {Padding}");
        var top = randint(0, hp - Height + 1, new[] { b }, generator: generator);
        var left = randint(0, wp - Width + 1, new[] { b }, generator: generator);
        var cropped = Cut(images, top.to(images.device), left.to(images.device), 0);
        var masks = batch.Masks is null ? null : Cut(batch.Masks.unsqueeze(1), top.to(batch.Masks.device), left.to(batch.Masks.device), MaskFill).squeeze(1);
        long[] dx = PairedGeometry.ToArray(left).Select(l => Padding - l).ToArray();
        long[] dy = PairedGeometry.ToArray(top).Select(t => Padding - t).ToArray();
        var (boxes, boxLabels) = PairedGeometry.MapClipDrop(batch, 1, 1, dx, dy, Width, Height);
        return new SampleBatch(cropped, batch.Labels?.alias(), boxes, boxLabels, masks).MoveToOuterDisposeScope();
    }

    /// <summary>Pads <c>[B, C, H, W]</c> with <paramref name="fill"/> and cuts each image's window at (top[i], left[i]).</summary>
    private Tensor Cut(Tensor x, Tensor top, Tensor left, long fill)
    {
        long b = x.shape[0], c = x.shape[1];
        var padded = Padding > 0 ? nn.functional.pad(x, new long[] { Padding, Padding, Padding, Padding }, value: fill) : x.alias();
        long wp = padded.shape[3];
        var rows = (top.unsqueeze(1) + arange(Height, device: x.device)).view(b, 1, Height, 1).expand(b, c, Height, wp);
        var cols = (left.unsqueeze(1) + arange(Width, device: x.device)).view(b, 1, 1, Width).expand(b, c, Height, Width);
        return padded.gather(2, rows).gather(3, cols);
    }
}
