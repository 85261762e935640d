using static TorchSharp.torch;

namespace Aperture.Data.Loading;

/// <summary>Resamples every image to a fixed size by bilinear interpolation (anti-aliased when shrinking).</summary>
public sealed class Resize : IBatchTransform
{
    /// <summary>Resizes to <paramref name="height"/> x <paramref name="width"/>.</summary>
    public Resize(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"size must be > 0, got {height}x{width}");
        Height = height;
        Width = width;
    }

    /// <summary>Resizes to a square of side <paramref name="size"/>.</summary>
    public Resize(int size) : this(size, size) { }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Resizes images <c>[B, C, H, W]</c> (float) to <c>[B, C, Height, Width]</c>.</summary>
    public Tensor Apply(Tensor images, Generator generator)
    {
        if (images.shape[2] == Height && images.shape[3] == Width) return images.alias();
        bool shrinking = images.shape[2] > Height || images.shape[3] > Width;
        return nn.functional.interpolate(images, new long[] { Height, Width }, mode: InterpolationMode.Bilinear, align_corners: false, antialias: shrinking);
    }
}
