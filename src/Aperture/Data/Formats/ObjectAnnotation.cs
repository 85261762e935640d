using Aperture.Ops;

namespace Aperture.Data.Formats;

/// <summary>
/// One annotated object of an image: its class, its box and (when masks exist) its instance id.
/// Shared by the scene generator and the VOC and COCO readers/writers.
/// </summary>
/// <param name="ClassId">Class index into the dataset's class names, 0-based (background is not a class here).</param>
/// <param name="ClassName">The class name.</param>
/// <param name="Box">The box, pixels, <c>(x1, y1, x2, y2)</c> with exclusive x2/y2 (see <see cref="Box"/>).</param>
/// <param name="InstanceId">The object's value in the instance mask, 1..255, or 0 when there is no instance mask.</param>
/// <param name="Difficult">Pascal VOC's "difficult" flag (usually excluded from evaluation).</param>
public sealed record ObjectAnnotation(int ClassId, string ClassName, Box Box, int InstanceId = 0, bool Difficult = false);
