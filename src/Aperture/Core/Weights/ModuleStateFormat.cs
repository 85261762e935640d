using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// Reads TorchSharp's <c>Module.save</c> format (what an Aperture checkpoint stores per module) into named tensors,
/// without the module: a LEB128 entry count, then per entry a length-prefixed name and a tensor (dtype, shape, bytes).
/// </summary>
internal static class ModuleStateFormat
{
    /// <summary>The named tensors of one saved module, on the CPU, in the order they were saved.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a saved module state.</exception>
    public static Dictionary<string, Tensor> Read(BinaryReader reader)
    {
        long count = ReadLeb128(reader);
        long left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || count > left)
            throw new InvalidDataException($"the module state declares {count} tensors in {left} bytes");
        var result = new Dictionary<string, Tensor>();
        for (long i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            result[name] = TensorExtensionMethods.Load(reader, false);
        }
        return result;
    }

    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("the module state's entry count is not a valid LEB128 number");
    }
}
