namespace Aperture.Data.Formats;

/// <summary>The annotation of one image: its file, size and objects (as in a VOC XML file or a COCO "image" entry).</summary>
/// <param name="Id">The image id: the file name without extension (VOC), or the COCO image id as text.</param>
/// <param name="FileName">The image's file name, relative to the dataset's image folder.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Objects">The annotated objects.</param>
public sealed record ImageAnnotation(string Id, string FileName, int Width, int Height, IReadOnlyList<ObjectAnnotation> Objects);
