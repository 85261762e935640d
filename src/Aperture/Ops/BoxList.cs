using static TorchSharp.torch;

namespace Aperture.Ops;

/// <summary>Conversions between lists of <see cref="Box"/> and box tensors.</summary>
public static class BoxList
{
    /// <summary>Boxes as a <c>float32</c> tensor <c>[K, 4]</c> of <c>(x1, y1, x2, y2)</c> rows (K may be 0).</summary>
    public static Tensor ToTensor(IReadOnlyList<Box> boxes)
    {
        var data = new float[boxes.Count * 4];
        for (int i = 0; i < boxes.Count; i++)
        {
            data[4 * i] = boxes[i].X1;
            data[4 * i + 1] = boxes[i].Y1;
            data[4 * i + 2] = boxes[i].X2;
            data[4 * i + 3] = boxes[i].Y2;
        }
        return tensor(data, new long[] { boxes.Count, 4 }, ScalarType.Float32);
    }

    /// <summary>Reads a tensor <c>[K, 4]</c> of <c>(x1, y1, x2, y2)</c> rows (any floating or integer dtype) into boxes.</summary>
    public static Box[] FromTensor(Tensor boxes)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4)
            throw new ArgumentException($"expected a box tensor [K, 4], got [{string.Join(", ", boxes.shape)}]");
        if (boxes.shape[0] == 0) return [];   // TorchSharp's data<T>().ToArray() throws on an empty tensor
        using var scope = NewDisposeScope();
        float[] d = boxes.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var result = new Box[boxes.shape[0]];
        for (int i = 0; i < result.Length; i++) result[i] = new Box(d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]);
        return result;
    }

    /// <summary>Box <paramref name="index"/> of a flat array of <c>(x1, y1, x2, y2)</c> quadruples (a <c>[K, 4]</c> tensor's data).</summary>
    public static Box At(ReadOnlySpan<float> flat, int index) =>
        new(flat[4 * index], flat[4 * index + 1], flat[4 * index + 2], flat[4 * index + 3]);
}
