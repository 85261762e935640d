using System.Text.Json;
using static TorchSharp.torch;

namespace Aperture.Tests.Ops;

/// <summary>Loads torchvision's reference vectors copied into data/reference (see /work/shared/reference/README.md).</summary>
internal static class Reference
{
    public static JsonElement Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "reference", name);
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    /// <summary>Flattens a nested JSON number array into floats and its shape.</summary>
    public static Tensor ToTensor(JsonElement e)
    {
        var shape = new List<long>();
        var cur = e;
        while (cur.ValueKind == JsonValueKind.Array) { shape.Add(cur.GetArrayLength()); if (cur.GetArrayLength() == 0) break; cur = cur[0]; }
        var values = new List<float>();
        void Walk(JsonElement x) { if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c); else values.Add(x.GetSingle()); }
        Walk(e);
        return tensor(values.ToArray(), shape.ToArray());
    }

    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
}
