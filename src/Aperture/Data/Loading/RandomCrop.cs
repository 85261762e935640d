using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>
/// Pads each image with <see cref="Padding"/> zero pixels on every side, then cuts a
/// <see cref="Height"/> x <see cref="Width"/> window at a random place, independently per image
/// (the classic "pad 4 and crop" augmentation). Done for the whole batch by two gathers.
/// </summary>
public sealed class RandomCrop : IBatchTransform
{
    /// <summary>A square crop of side <paramref name="size"/> after zero padding of <paramref name="padding"/> pixels.</summary>
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    /// <summary>A <paramref name="height"/> x <paramref name="width"/> crop after zero padding of <paramref name="padding"/> pixels.</summary>
    public RandomCrop(int height, int width, int padding)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"crop size must be > 0, got {height}x{width}");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be >= 0");
        Height = height;
        Width = width;
        Padding = padding;
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Zero pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <summary>Crops images <c>[B, C, H, W]</c> (float) to <c>[B, C, Height, Width]</c>.</summary>
    /// <exception cref="ArgumentException">The padded image is smaller than the crop.</exception>
    public Tensor Apply(Tensor images, Generator generator)
    {
        using var scope = NewDisposeScope();
        long b = images.shape[0], c = images.shape[1];
        var padded = Padding > 0 ? nn.functional.pad(images, new long[] { Padding, Padding, Padding, Padding }) : images.alias();
        long hp = padded.shape[2], wp = padded.shape[3];
        if (hp < Height || wp < Width)
            throw new ArgumentException($"cannot crop {Height}x{Width} from images of {images.shape[2]}x{images.shape[3]} padded by {Padding}");
        var top = randint(0, hp - Height + 1, new[] { b }, generator: generator).to(images.device);
        var left = randint(0, wp - Width + 1, new[] { b }, generator: generator).to(images.device);
        var rows = (top.unsqueeze(1) + arange(Height, device: images.device)).view(b, 1, Height, 1).expand(b, c, Height, wp);
        var cols = (left.unsqueeze(1) + arange(Width, device: images.device)).view(b, 1, 1, Width).expand(b, c, Height, Width);
        return padded.gather(2, rows).gather(3, cols).MoveToOuterDisposeScope();
    }
}
