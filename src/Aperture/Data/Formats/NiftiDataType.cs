using static TorchSharp.torch;

namespace Aperture.Data.Formats;

/// <summary>The NIfTI-1 <c>datatype</c> codes <see cref="NiftiFile"/> reads and writes (nifti1.h's <c>DT_*</c> values).</summary>
public enum NiftiDataType : short
{
    /// <summary>DT_UINT8 (2): unsigned 8-bit, read as <c>uint8</c>.</summary>
    UInt8 = 2,

    /// <summary>DT_INT16 (4): signed 16-bit, read as <c>int16</c> (CT scans).</summary>
    Int16 = 4,

    /// <summary>DT_INT32 (8): signed 32-bit, read as <c>int32</c>.</summary>
    Int32 = 8,

    /// <summary>DT_FLOAT32 (16), read as <c>float32</c>.</summary>
    Float32 = 16,

    /// <summary>DT_FLOAT64 (64), read as <c>float64</c>.</summary>
    Float64 = 64,

    /// <summary>DT_INT8 (256): signed 8-bit, read as <c>int8</c>.</summary>
    Int8 = 256,

    /// <summary>DT_UINT16 (512): unsigned 16-bit, read as <c>int32</c> (libtorch has little arithmetic on uint16).</summary>
    UInt16 = 512,
}

/// <summary>Sizes and tensor types of <see cref="NiftiDataType"/>.</summary>
public static class NiftiDataTypes
{
    /// <summary>Bits per voxel (the header's <c>bitpix</c>).</summary>
    public static int Bits(NiftiDataType type) => type switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 => 8,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 16,
        NiftiDataType.Int32 or NiftiDataType.Float32 => 32,
        NiftiDataType.Float64 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a supported NIfTI datatype"),
    };

    /// <summary>Whether the code is one this reader supports.</summary>
    public static bool IsSupported(short code) => Enum.IsDefined(typeof(NiftiDataType), code);

    /// <summary>The tensor type a volume of this datatype is read as (before scaling).</summary>
    public static ScalarType TensorType(NiftiDataType type) => type switch
    {
        NiftiDataType.UInt8 => ScalarType.Byte,
        NiftiDataType.Int8 => ScalarType.Int8,
        NiftiDataType.Int16 => ScalarType.Int16,
        NiftiDataType.UInt16 or NiftiDataType.Int32 => ScalarType.Int32,
        NiftiDataType.Float32 => ScalarType.Float32,
        NiftiDataType.Float64 => ScalarType.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a supported NIfTI datatype"),
    };

    /// <summary>The datatype a tensor of <paramref name="dtype"/> is written as.</summary>
    /// <exception cref="ArgumentException">A tensor type NIfTI-1 has no code for here (bool, int64, half, complex).</exception>
    public static NiftiDataType Of(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte => NiftiDataType.UInt8,
        ScalarType.Int8 => NiftiDataType.Int8,
        ScalarType.Int16 => NiftiDataType.Int16,
        ScalarType.Int32 => NiftiDataType.Int32,
        ScalarType.Float32 => NiftiDataType.Float32,
        ScalarType.Float64 => NiftiDataType.Float64,
        _ => throw new ArgumentException($"NIfTI: cannot write a {dtype} tensor; convert it to uint8, int8, int16, int32, float32 or float64"),
    };
}
