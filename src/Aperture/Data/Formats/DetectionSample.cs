using Aperture.Imaging;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Data.Formats;

/// <summary>
/// One image of a detection / segmentation dataset: where its pixels are, its objects, and (optionally) its masks.
/// Pixels and masks are read only when asked for.
/// </summary>
public sealed class DetectionSample
{
    private readonly Func<byte[]?>? _classMask, _instanceMask;

    internal DetectionSample(string imagePath, ImageAnnotation annotation, string? classMaskPath, string? instanceMaskPath,
        Func<byte[]?>? classMask = null, Func<byte[]?>? instanceMask = null)
    {
        ImagePath = imagePath;
        Annotation = annotation;
        ClassMaskPath = classMaskPath;
        InstanceMaskPath = instanceMaskPath;
        _classMask = classMask;
        _instanceMask = instanceMask;
    }

    /// <summary>The image file.</summary>
    public string ImagePath { get; }

    /// <summary>The image's annotation (id, size, objects).</summary>
    public ImageAnnotation Annotation { get; }

    /// <summary>The objects (shortcut for <c>Annotation.Objects</c>).</summary>
    public IReadOnlyList<ObjectAnnotation> Objects => Annotation.Objects;

    /// <summary>The class-mask PNG (VOC <c>SegmentationClass</c>), when there is one.</summary>
    public string? ClassMaskPath { get; }

    /// <summary>The instance-mask PNG (VOC <c>SegmentationObject</c>), when there is one.</summary>
    public string? InstanceMaskPath { get; }

    /// <summary>True when a class mask can be loaded (a mask file, or COCO segmentations).</summary>
    public bool HasMasks => ClassMaskPath is not null || _classMask is not null;

    /// <summary>The boxes as <c>float32 [K, 4]</c> of <c>(x1, y1, x2, y2)</c>, pixels, exclusive x2/y2.</summary>
    public Tensor Boxes() => BoxList.ToTensor(Objects.Select(o => o.Box).ToList());

    /// <summary>The class ids as <c>int64 [K]</c>.</summary>
    public Tensor Labels() => tensor(Objects.Select(o => (long)o.ClassId).ToArray(), ScalarType.Int64);

    /// <summary>Decodes the image as <c>uint8 [3, H, W]</c>.</summary>
    /// <exception cref="InvalidDataException">The image's size differs from the annotation's.</exception>
    public Tensor LoadImage()
    {
        var img = ImageTensor.Read(ImagePath);
        if (img.shape[1] != Annotation.Height || img.shape[2] != Annotation.Width)
        {
            var shape = img.shape;
            img.Dispose();
            throw new InvalidDataException($"{ImagePath}: image is {shape[2]}x{shape[1]} but its annotation says {Annotation.Width}x{Annotation.Height}");
        }
        return img;
    }

    /// <summary>The class mask <c>uint8 [H, W]</c> (0 background, class id + 1, 255 void in VOC data), or null when there is none.</summary>
    public Tensor? LoadClassMask() => LoadMask(ClassMaskPath, _classMask);

    /// <summary>The instance mask <c>uint8 [H, W]</c> (0 background, 1..K in object order), or null when there is none.</summary>
    public Tensor? LoadInstanceMask() => LoadMask(InstanceMaskPath, _instanceMask);

    private Tensor? LoadMask(string? path, Func<byte[]?>? painter)
    {
        int W = Annotation.Width, H = Annotation.Height;
        if (path is not null)
        {
            var (mask, w, h) = LabelMask.ReadBytes(path);
            if (w != W || h != H)
                throw new InvalidDataException($"{path}: mask is {w}x{h} but the image is {W}x{H}");
            return tensor(mask, new long[] { H, W }, ScalarType.Byte);
        }
        var painted = painter?.Invoke();
        return painted is null ? null : tensor(painted, new long[] { H, W }, ScalarType.Byte);
    }
}
