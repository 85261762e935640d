using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// How one layer maps its input grid to its output grid: a square window of <paramref name="Kernel"/> taps
/// spaced <paramref name="Dilation"/> apart, moved <paramref name="Stride"/> pixels, over an input padded by
/// <paramref name="Padding"/> on each side. Element-wise layers are kernel 1, stride 1, padding 0.
/// </summary>
/// <param name="Name">Layer name.</param>
/// <param name="Kind">What the layer is.</param>
/// <param name="Kernel">Window side k ≥ 1.</param>
/// <param name="Stride">Stride s ≥ 1.</param>
/// <param name="Padding">Padding p ≥ 0 on each side.</param>
/// <param name="Dilation">Dilation d ≥ 1.</param>
public sealed record LayerGeometry(string Name, LayerKind Kind, int Kernel = 1, int Stride = 1, int Padding = 0, int Dilation = 1)
{
    /// <summary>A convolution.</summary>
    public static LayerGeometry Conv(string name, int kernel, int stride = 1, int padding = 0, int dilation = 1) =>
        new(name, LayerKind.Convolution, kernel, stride, padding, dilation);

    /// <summary>A max pooling (stride defaults to the kernel, as in PyTorch).</summary>
    public static LayerGeometry MaxPool(string name, int kernel, int? stride = null, int padding = 0) =>
        new(name, LayerKind.MaxPool, kernel, stride ?? kernel, padding);

    /// <summary>An element-wise layer (ReLU, batch norm, dropout).</summary>
    public static LayerGeometry ElementWise(string name, LayerKind kind = LayerKind.ReLU) => new(name, kind);

    /// <summary>Output side of this layer for an input side <paramref name="input"/>: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 (floor mode).</summary>
    public int OutputSize(int input) => (input + 2 * Padding - Dilation * (Kernel - 1) - 1) / Stride + 1;

    /// <summary>The geometry of a walked layer.</summary>
    /// <exception cref="ArgumentException">A non-square window, string padding, ceil mode, or a layer that is not convolutional.</exception>
    public static LayerGeometry Of(NamedLayer layer) => layer.Module switch
    {
        Conv2d c => Square(layer, LayerKind.Convolution, c.kernel_size, c.stride, c.padding ?? throw Unsupported(layer, "padding given by name ('same'/'valid')"), c.dilation),
        MaxPool2d m when m.ceil_mode => throw Unsupported(layer, "ceil mode"),
        MaxPool2d m => Square(layer, LayerKind.MaxPool, m.kernel_size, m.stride ?? m.kernel_size, m.padding ?? new long[] { 0, 0 }, m.dilation ?? new long[] { 1, 1 }),
        AvgPool2d a when a.ceil_mode => throw Unsupported(layer, "ceil mode"),
        AvgPool2d a => Square(layer, LayerKind.AvgPool, a.kernel_size, a.stride ?? a.kernel_size, a.padding ?? new long[] { 0, 0 }, new long[] { 1, 1 }),
        _ when layer.Kind is LayerKind.ReLU or LayerKind.BatchNorm or LayerKind.PassThrough => new LayerGeometry(layer.Name, layer.Kind),
        _ => throw Unsupported(layer, "it is not a convolution, pooling or element-wise layer"),
    };

    private static LayerGeometry Square(NamedLayer layer, LayerKind kind, long[] k, long[] s, long[] p, long[] d)
    {
        static bool Same(long[] a) => a.Length == 1 || a.All(v => v == a[0]);
        if (!Same(k) || !Same(s) || !Same(p) || !Same(d))
            throw Unsupported(layer, $"a non-square window (kernel [{string.Join(", ", k)}], stride [{string.Join(", ", s)}], padding [{string.Join(", ", p)}])");
        return new LayerGeometry(layer.Name, kind, (int)k[0], (int)s[0], (int)p[0], (int)d[0]);
    }

    private static ArgumentException Unsupported(NamedLayer layer, string why) =>
        new($"layer '{layer.Name}' ({layer.Module.GetType().Name}) has no receptive-field geometry: {why}");
}
