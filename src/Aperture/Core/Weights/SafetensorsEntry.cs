namespace Aperture.Core.Weights;

/// <summary>One tensor listed in a <c>.safetensors</c> header (see <see cref="SafetensorsFile"/>).</summary>
/// <param name="Name">The tensor's name, e.g. <c>c1.weight</c>.</param>
/// <param name="DType">The safetensors dtype code: <c>F32</c>, <c>F64</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c>, <c>U8</c> or <c>BOOL</c>.</param>
/// <param name="Shape">The tensor's shape (empty for a scalar).</param>
/// <param name="Begin">First byte of its data, counted from the start of the data section.</param>
/// <param name="End">One past its last byte, counted from the start of the data section.</param>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);
