namespace Aperture.Data.Formats;

/// <summary>The content of a COCO instances file: classes, images with their objects, and segmentations.</summary>
public sealed class CocoAnnotations
{
    private readonly IReadOnlyList<List<CocoFormat.Segmentation?>> _segmentations;

    internal CocoAnnotations(string path, IReadOnlyList<string> classNames, IReadOnlyList<long> categoryIds,
        IReadOnlyList<ImageAnnotation> images, IReadOnlyList<List<CocoFormat.Segmentation?>> segmentations)
    {
        Path = path;
        ClassNames = classNames;
        CategoryIds = categoryIds;
        Images = images;
        _segmentations = segmentations;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Class names by class id (categories sorted by COCO id).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The COCO category id of each class id.</summary>
    public IReadOnlyList<long> CategoryIds { get; }

    /// <summary>The images in file order; <see cref="ImageAnnotation.Id"/> is the COCO image id.</summary>
    public IReadOnlyList<ImageAnnotation> Images { get; }

    /// <summary>True when at least one object of image <paramref name="image"/> has a segmentation.</summary>
    public bool HasSegmentation(int image) => _segmentations[image].Any(s => s is not null);

    /// <summary>
    /// The instance mask of image <paramref name="image"/>, row-major <c>[H, W]</c>: objects painted in file order with
    /// their <see cref="ObjectAnnotation.InstanceId"/> (later objects over earlier ones), 0 elsewhere; null when no object has a segmentation.
    /// </summary>
    public byte[]? InstanceMask(int image) => Paint(image, o => (byte)o.InstanceId);

    /// <summary>The class mask of image <paramref name="image"/>, row-major <c>[H, W]</c>: class id + 1 where an object is, 0 elsewhere; null when no object has a segmentation.</summary>
    public byte[]? ClassMask(int image) => Paint(image, o => (byte)(o.ClassId + 1));

    private byte[]? Paint(int image, Func<ObjectAnnotation, byte> value)
    {
        if (!HasSegmentation(image)) return null;
        var img = Images[image];
        var mask = new byte[img.Width * img.Height];
        for (int i = 0; i < img.Objects.Count; i++)
            _segmentations[image][i]?.Paint(mask, img.Width, img.Height, value(img.Objects[i]));
        return mask;
    }
}
