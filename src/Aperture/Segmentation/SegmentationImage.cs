using static TorchSharp.torch;

namespace Aperture.Segmentation;

/// <summary>One image of a segmentation set with its class mask, held in memory (detached from every dispose scope).</summary>
public sealed class SegmentationImage : IDisposable
{
    /// <summary>Wraps an image and its mask (taken over: disposed with this).</summary>
    /// <param name="id">Name (file stem).</param>
    /// <param name="path">Image file.</param>
    /// <param name="image">Pixels <c>uint8 [3, H, W]</c>.</param>
    /// <param name="mask">Labels <c>uint8 [H, W]</c>: 0 background, class id + 1, 255 ignore.</param>
    public SegmentationImage(string id, string path, Tensor image, Tensor mask)
    {
        if (image.dim() != 3 || mask.dim() != 2 || image.shape[1] != mask.shape[0] || image.shape[2] != mask.shape[1])
            throw new ArgumentException($"{path}: image [{string.Join(", ", image.shape)}] and mask [{string.Join(", ", mask.shape)}] must be [3, H, W] and [H, W]");
        Id = id;
        Path = path;
        Image = image.DetachFromDisposeScope();
        Mask = mask.DetachFromDisposeScope();
    }

    /// <summary>Name (file stem).</summary>
    public string Id { get; }

    /// <summary>Image file.</summary>
    public string Path { get; }

    /// <summary>Pixels <c>uint8 [3, H, W]</c>.</summary>
    public Tensor Image { get; }

    /// <summary>Labels <c>uint8 [H, W]</c>: 0 background, class id + 1, 255 ignore.</summary>
    public Tensor Mask { get; }

    /// <summary>H.</summary>
    public int Height => (int)Image.shape[1];

    /// <summary>W.</summary>
    public int Width => (int)Image.shape[2];

    /// <summary>The mask as row-major bytes <c>[H, W]</c>.</summary>
    public byte[] MaskBytes() => Mask.contiguous().data<byte>().ToArray();

    /// <inheritdoc/>
    public void Dispose()
    {
        Image.Dispose();
        Mask.Dispose();
    }
}
