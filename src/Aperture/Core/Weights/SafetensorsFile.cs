using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// The <c>.safetensors</c> format (an 8-byte little-endian header length, a UTF-8 JSON header
/// <c>{name: {dtype, shape, data_offsets}}</c>, then the raw little-endian tensor bytes), as PyTorch's and
/// Hugging Face's tools write and read it.
/// </summary>
/// <remarks>
/// The tensor bytes are read and written by TorchSharp.PyBridge's <c>Safetensors</c> (checked here: names outside ASCII
/// and tensors over 2 GB work in 1.4.4). What this class adds, because PyBridge 1.4.4 gets it wrong: the header is
/// checked against the file before any tensor is allocated (PyBridge allocates whatever shape a damaged header
/// declares and reads past a truncated file's end without a clear error); files are written atomically through a stream
/// (PyBridge's path overload opens with <see cref="File.OpenWrite(string)"/>, which does not truncate, so overwriting a
/// longer file leaves stale bytes that strict readers reject); and tensors are made contiguous and moved to the CPU
/// first (PyBridge throws on a non-contiguous tensor).
/// </remarks>
public static class SafetensorsFile
{
    /// <summary>The largest header this reader accepts, as in Hugging Face's reader (100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> ElementSizes = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>True when the file starts like a safetensors file (a plausible header length, then <c>{</c>).</summary>
    public static bool LooksLike(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> head = stackalloc byte[9];
        if (s.ReadAtLeast(head, 9, throwOnEndOfStream: false) < 9) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return n >= 2 && n <= (ulong)Math.Min(MaxHeaderBytes, s.Length - 8) && head[8] == (byte)'{';
    }

    /// <summary>Reads and checks the header: every tensor's dtype, shape and byte range, without reading any tensor.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a safetensors file, truncated, or a header that does not fit the file (the message names the file).</exception>
    public static IReadOnlyList<SafetensorsEntry> ReadHeader(string path) => ReadHeader(path, out _);

    private static IReadOnlyList<SafetensorsEntry> ReadHeader(string path, out long dataStart)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"weights file '{full}' does not exist", full);
        using var s = File.OpenRead(full);
        long fileLength = s.Length;
        var lengthBytes = new byte[8];
        if (s.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw Bad(full, $"it has {fileLength} bytes, fewer than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(fileLength - 8))
            throw Bad(full, $"its header length is {headerLength} bytes; it must be 2 to {Math.Min(MaxHeaderBytes, fileLength - 8)} (the file has {fileLength} bytes)");
        var json = new byte[headerLength];
        s.ReadExactly(json);
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        var entries = new List<SafetensorsEntry>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(full, "its header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                var e = p.Value;
                string dtype = e.GetProperty("dtype").GetString() ?? "";
                if (!ElementSizes.TryGetValue(dtype, out int size))
                    throw Bad(full, $"tensor '{p.Name}' has dtype '{dtype}'; this reader takes {string.Join(", ", ElementSizes.Keys)}");
                long[] shape = e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                long[] offsets = e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Bad(full, $"tensor '{p.Name}' has data_offsets [{string.Join(", ", offsets)}], outside the {dataLength} data bytes (truncated or damaged file)");
                bool empty = shape.Contains(0);
                long elements = 1;
                foreach (long d in shape)
                {
                    if (d < 0) throw Bad(full, $"tensor '{p.Name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
                    if (empty) continue;
                    if (elements > dataLength / d) throw Bad(full, $"tensor '{p.Name}' has shape [{string.Join(", ", shape)}], more elements than the file's {dataLength} data bytes hold");
                    elements *= d;
                }
                long need = empty ? 0 : elements * size;
                if (need != offsets[1] - offsets[0])
                    throw Bad(full, $"tensor '{p.Name}' ({dtype} [{string.Join(", ", shape)}]) needs {need} bytes but its data_offsets give {offsets[1] - offsets[0]}");
                entries.Add(new SafetensorsEntry(p.Name, dtype, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Bad(full, $"its header is not valid safetensors JSON ({e.Message})");
        }
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw Bad(full, $"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data section");
        return entries;
    }

    /// <summary>Reads every tensor of a safetensors file, on the CPU, by name.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a valid safetensors file (the message names the file and what is wrong).</exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, null);

    /// <summary>Reads the named tensors of a safetensors file (all when <paramref name="names"/> is null), on the CPU.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a valid safetensors file, or a name it does not hold.</exception>
    public static Dictionary<string, Tensor> Read(string path, IReadOnlyCollection<string>? names)
    {
        var entries = ReadHeader(path, out _);
        var keep = names is null ? entries.Select(e => e.Name).ToList() : names.ToList();
        var absent = keep.Except(entries.Select(e => e.Name)).ToList();
        if (absent.Count > 0)
            throw new InvalidDataException($"weights file '{Path.GetFullPath(path)}' holds no tensor named {string.Join(", ", absent.Select(a => $"'{a}'"))}");
        using var s = File.OpenRead(path);
        try
        {
            return Safetensors.LoadStateDict(s, leaveOpen: true, keysToKeep: keep);
        }
        catch (Exception e) when (e is IOException or NotImplementedException or ArgumentException or JsonException)
        {
            throw Bad(Path.GetFullPath(path), e.Message);
        }
    }

    /// <summary>
    /// Writes tensors as a safetensors file that PyTorch (and Hugging Face's <c>safetensors</c>) load, atomically: a
    /// crash leaves any previous file intact. Tensors on another device or not contiguous are copied first.
    /// </summary>
    /// <param name="path">Target file.</param>
    /// <param name="tensors">Tensors by name, written in this order.</param>
    /// <exception cref="ArgumentException">A tensor's dtype has no safetensors code (e.g. complex).</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var scope = NewDisposeScope();
        var plain = new Dictionary<string, Tensor>();
        foreach (var (name, t) in tensors)
        {
            if (!IsSupported(t.dtype))
                throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors cannot hold; convert it first");
            plain[name] = t.detach().cpu().contiguous();
        }
        AtomicFile.Write(path, s => Safetensors.SaveStateDict(s, plain, leaveOpen: true));
    }

    private static bool IsSupported(ScalarType t) => t is ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16
        or ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool;

    private static InvalidDataException Bad(string path, string what) => new($"weights file '{path}' is not a valid safetensors file: {what}");
}
