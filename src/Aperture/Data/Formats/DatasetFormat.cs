namespace Aperture.Data.Formats;

/// <summary>The on-disk layout of a detection / segmentation dataset.</summary>
public enum DatasetFormat
{
    /// <summary>Detect from the folder: VOC when it has <c>Annotations/</c>, else COCO when it has an instances JSON.</summary>
    Auto,

    /// <summary>Pascal VOC: <c>Annotations/*.xml</c>, <c>JPEGImages/</c>, <c>ImageSets/Main/&lt;split&gt;.txt</c>, optional <c>SegmentationClass/</c>, <c>SegmentationObject/</c>.</summary>
    Voc,

    /// <summary>COCO: <c>annotations/instances_&lt;split&gt;.json</c> (or <c>coco/…</c>) with images in <c>JPEGImages/</c>, <c>images/&lt;split&gt;/</c>, <c>&lt;split&gt;/</c> or the root.</summary>
    Coco,
}

/// <summary>Names of <see cref="DatasetFormat"/> as the CLI takes them.</summary>
public static class DatasetFormats
{
    /// <summary>The format called <paramref name="name"/> (<c>auto</c>, <c>voc</c> or <c>coco</c>, any case).</summary>
    /// <exception cref="ArgumentException">Another name (the message lists the three).</exception>
    public static DatasetFormat Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => DatasetFormat.Auto,
        "voc" => DatasetFormat.Voc,
        "coco" => DatasetFormat.Coco,
        _ => throw new ArgumentException($"format '{name}' is not one of: auto, voc, coco"),
    };
}
