using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>
/// A continuous colour map as a 256-entry lookup table, for heatmaps and feature maps. The tables are
/// generated from published polynomial fits: viridis and magma (perceptually uniform, luminance rising
/// from dark to light; matplotlib's maps, fitted by Matt Zucconi) and turbo (Google's rainbow map,
/// Mikhailov 2019, in its published polynomial approximation).
/// </summary>
public sealed class ColorMap
{
    private readonly byte[] _rgb; // 256 * 3, entry i at [3i, 3i+3)

    private ColorMap(string name, Func<double, (double R, double G, double B)> f)
    {
        Name = name;
        _rgb = new byte[256 * 3];
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = f(i / 255.0);
            _rgb[3 * i] = ToByte(r);
            _rgb[3 * i + 1] = ToByte(g);
            _rgb[3 * i + 2] = ToByte(b);
        }
    }

    /// <summary>The map's name, lower case ("viridis", "magma", "turbo").</summary>
    public string Name { get; }

    /// <summary>Viridis: dark purple → blue → green → yellow; luminance rises monotonically.</summary>
    public static ColorMap Viridis { get; } = new("viridis", Polynomial(
        (0.2777273272234177, 0.005407344544966578, 0.3340998053353061),
        (0.1050930431085774, 1.404613529898575, 1.384590162594685),
        (-0.3308618287255563, 0.214847559468213, 0.09509516302823659),
        (-4.634230498983486, -5.799100973351585, -19.33244095627987),
        (6.228269936347081, 14.17993336680509, 56.69055260068105),
        (4.776384997670288, -13.74514537774601, -65.35303263337234),
        (-5.435455855934631, 4.645852612178535, 26.3124352495832)));

    /// <summary>Magma: black → purple → orange → pale yellow; luminance rises monotonically.</summary>
    public static ColorMap Magma { get; } = new("magma", Polynomial(
        (-0.002136485053939582, -0.000749655052795221, -0.005386127855323933),
        (0.2516605407371642, 0.6775232436837668, 2.494026599312351),
        (8.353717279216625, -3.577719514958484, 0.3144679030132573),
        (-27.66873308576866, 14.26473078096533, -13.64921318813922),
        (52.17613981234068, -27.94360607168351, 12.94416944238394),
        (-50.76852536473588, 29.04658282127291, 4.23415299384598),
        (18.65570506591883, -11.48977351997711, -5.601961508734096)));

    /// <summary>Turbo: dark blue → cyan → green → yellow → red; the usual look of class activation maps.</summary>
    public static ColorMap Turbo { get; } = new("turbo", Polynomial(
        (0.13572138, 0.09140261, 0.10667330),
        (4.61539260, 2.19418839, 12.64194608),
        (-42.66032258, 4.84296658, -60.58204836),
        (132.13108234, -14.18503333, 110.36276771),
        (-152.94239396, 4.27729857, -89.90310912),
        (59.28637943, 2.82956604, 27.34824973)));

    /// <summary>The maps by name, for command-line options.</summary>
    public static IReadOnlyList<ColorMap> All { get; } = new[] { Viridis, Magma, Turbo };

    /// <summary>The map called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such map; the message lists the known ones.</exception>
    public static ColorMap Get(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown colour map '{name}'; known maps: {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>Entry <paramref name="index"/> (0–255) of the table.</summary>
    public SKColor this[int index]
    {
        get
        {
            if ((uint)index > 255) throw new ArgumentOutOfRangeException(nameof(index), index, "colour map index must be in 0..255");
            return new SKColor(_rgb[3 * index], _rgb[3 * index + 1], _rgb[3 * index + 2]);
        }
    }

    /// <summary>The colour for <paramref name="t"/> in [0, 1] (clamped; NaN gives the low end).</summary>
    public SKColor At(double t) => this[double.IsNaN(t) ? 0 : (int)Math.Round(Math.Clamp(t, 0, 1) * 255)];

    /// <summary>The lookup table as a <c>uint8</c> tensor <c>[256, 3]</c> (RGB).</summary>
    public Tensor Table() => tensor(_rgb, new long[] { 256, 3 }, ScalarType.Byte);

    /// <summary>
    /// Colours a map of values: <c>float</c> (any real dtype) <c>[H, W]</c> → <c>uint8</c> RGB <c>[3, H, W]</c>.
    /// Values are scaled from [<paramref name="min"/>, <paramref name="max"/>] to the table; either bound left
    /// null is taken from the data (its minimum or maximum). Values outside are clamped; NaN gives the low end;
    /// a constant map (max = min) gives the low end everywhere.
    /// </summary>
    public Tensor Apply(Tensor values, double? min = null, double? max = null)
    {
        if (values.dim() != 2)
            throw new ArgumentException($"colour map input must be a map [H, W], got [{string.Join(", ", values.shape)}]");
        using var scope = NewDisposeScope();
        var v = values.to_type(ScalarType.Float64).cpu();
        var (dataMin, dataMax) = min.HasValue && max.HasValue ? (0.0, 0.0) : FiniteRange(v);
        double lo = min ?? dataMin, hi = max ?? dataMax;
        var scaled = hi > lo ? (v - lo) / (hi - lo) : zeros_like(v);
        var index = scaled.nan_to_num(0.0, 1.0, 0.0).clamp(0, 1).mul(255).round().to_type(ScalarType.Int64);
        var rgb = Table().index_select(0, index.flatten()); // [H*W, 3]
        return rgb.reshape(v.shape[0], v.shape[1], 3).permute(2, 0, 1).contiguous()
            .to(values.device).MoveToOuterDisposeScope();
    }

    /// <summary>Smallest and largest finite value of <paramref name="values"/>, or (0, 1) if none is finite.</summary>
    internal static (double Min, double Max) FiniteRange(Tensor values)
    {
        using var scope = NewDisposeScope();
        var finite = values.isfinite();
        if (!finite.any().item<bool>()) return (0, 1);
        var f = values.masked_select(finite).to_type(ScalarType.Float64);
        return (f.min().item<double>(), f.max().item<double>());
    }

    private static Func<double, (double, double, double)> Polynomial(params (double R, double G, double B)[] c) => t =>
    {
        double r = 0, g = 0, b = 0;
        for (int k = c.Length - 1; k >= 0; k--) // Horner
        {
            r = r * t + c[k].R;
            g = g * t + c[k].G;
            b = b * t + c[k].B;
        }
        return (r, g, b);
    };

    private static byte ToByte(double x) => (byte)Math.Round(Math.Clamp(x, 0, 1) * 255);
}
