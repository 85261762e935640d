using Aperture.Data.Formats;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Data.Scenes;

/// <summary>
/// One generated scene: an RGB image, its objects with exact boxes, and per-pixel class and instance masks.
/// Pixels are held in managed arrays (so thousands of scenes cost no native memory); the tensor methods copy them out.
/// </summary>
public sealed class Scene
{
    internal Scene(int index, int width, int height, byte[] image, byte[] classMask, byte[] instanceMask, IReadOnlyList<ObjectAnnotation> objects)
    {
        Index = index;
        Width = width;
        Height = height;
        Image = image;
        ClassMask = classMask;
        InstanceMask = instanceMask;
        Objects = objects;
    }

    /// <summary>The scene's index in its generator: the same (seed, index) always gives the same scene.</summary>
    public int Index { get; }

    /// <summary>Width W in pixels.</summary>
    public int Width { get; }

    /// <summary>Height H in pixels.</summary>
    public int Height { get; }

    /// <summary>RGB pixels, channel-major like a tensor <c>[3, H, W]</c>: <c>Image[(c * H + y) * W + x]</c>.</summary>
    public byte[] Image { get; }

    /// <summary>Class mask <c>[H, W]</c> row-major: 0 = background, class id + 1 for an item (later items occlude earlier ones).</summary>
    public byte[] ClassMask { get; }

    /// <summary>Instance mask <c>[H, W]</c> row-major: 0 = background, 1..n = the object with that <see cref="ObjectAnnotation.InstanceId"/>.</summary>
    public byte[] InstanceMask { get; }

    /// <summary>The visible objects, in painting order; each box is the tight box of the object's pixels in <see cref="InstanceMask"/>.</summary>
    public IReadOnlyList<ObjectAnnotation> Objects { get; }

    /// <summary>The image as a <c>uint8</c> tensor <c>[3, H, W]</c>.</summary>
    public Tensor ImageTensor() => tensor(Image, new long[] { 3, Height, Width }, ScalarType.Byte);

    /// <summary>The class mask as a <c>uint8</c> tensor <c>[H, W]</c>.</summary>
    public Tensor ClassMaskTensor() => tensor(ClassMask, new long[] { Height, Width }, ScalarType.Byte);

    /// <summary>The instance mask as a <c>uint8</c> tensor <c>[H, W]</c>.</summary>
    public Tensor InstanceMaskTensor() => tensor(InstanceMask, new long[] { Height, Width }, ScalarType.Byte);

    /// <summary>The boxes as a <c>float32</c> tensor <c>[K, 4]</c> of <c>(x1, y1, x2, y2)</c>.</summary>
    public Tensor BoxesTensor() => BoxList.ToTensor(Objects.Select(o => o.Box).ToList());

    /// <summary>The class ids as an <c>int64</c> tensor <c>[K]</c>.</summary>
    public Tensor LabelsTensor() => tensor(Objects.Select(o => (long)o.ClassId).ToArray(), ScalarType.Int64);
}
