using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

/// <summary>scikit-learn's PPCA and exact KDE values on seeded 12-D data (data/reference/density.json; see its README).</summary>
internal static class DensityReference
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "reference", "density.json"))).RootElement);

    public static JsonElement Json => Root.Value;

    public static Tensor Matrix(string name)
    {
        var rows = Json.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length }, ScalarType.Float64);
    }

    public static double[] Vector(string name) => Json.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static double Scalar(string name) => Json.GetProperty(name).GetDouble();
}
