using static TorchSharp.torch;

namespace Aperture.Data.Volumes;

/// <summary>One generated volume: intensities and exact labels, both row-major <c>[D, H, W]</c> (W fastest).</summary>
/// <param name="Size">Side D = H = W.</param>
/// <param name="Image">Intensities, Size³ values.</param>
/// <param name="Labels">Class ids (0 background, 1.. the classes), Size³ values.</param>
/// <param name="Shapes">How many solids were placed.</param>
public sealed record Volume(int Size, float[] Image, byte[] Labels, int Shapes)
{
    /// <summary>The intensities as <c>float32 [D, H, W]</c>.</summary>
    public Tensor ImageTensor() => tensor(Image, new long[] { Size, Size, Size });

    /// <summary>The labels as <c>uint8 [D, H, W]</c>.</summary>
    public Tensor LabelTensor() => tensor(Labels, new long[] { Size, Size, Size }, ScalarType.Byte);
}
