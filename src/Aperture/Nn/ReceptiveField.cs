using System.Globalization;
using System.Text;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// The receptive field of the units of one layer, in input pixels. Coordinates are pixel indices: the
/// centre of input pixel (row 0, col 0) is at 0. Unit (i, j) of the layer sees the square of side
/// <see cref="Size"/> centred at (<see cref="Start"/> + i · <see cref="Jump"/>, <see cref="Start"/> + j · <see cref="Jump"/>)
/// (row, column).
/// </summary>
/// <param name="Name">Layer name.</param>
/// <param name="Kind">What the layer is.</param>
/// <param name="Size">Receptive-field side r in input pixels.</param>
/// <param name="Jump">Distance j in input pixels between neighbouring units (the product of the strides so far).</param>
/// <param name="Start">Centre of the first unit's field, in input pixel coordinates (may be negative or fractional).</param>
/// <param name="MapSize">Side of the layer's output map for the input size given, or null if none was given.</param>
public sealed record ReceptiveField(string Name, LayerKind Kind, int Size, int Jump, double Start, int? MapSize = null)
{
    /// <summary>The receptive field of the input itself: r = 1, j = 1, start = 0.</summary>
    public static ReceptiveField Input(int? size = null) => new("input", LayerKind.PassThrough, 1, 1, 0, size);

    /// <summary>
    /// Applies one layer (the standard recurrence): r_out = r_in + (k − 1)·d·j_in, j_out = j_in·s,
    /// start_out = start_in + ((k − 1)/2 · d − p)·j_in.
    /// </summary>
    public ReceptiveField Then(LayerGeometry layer)
    {
        int k = layer.Kernel, s = layer.Stride, p = layer.Padding, d = layer.Dilation;
        if (k < 1 || s < 1 || p < 0 || d < 1)
            throw new ArgumentException($"layer '{layer.Name}': kernel {k}, stride {s}, dilation {d} must be ≥ 1 and padding {p} ≥ 0");
        int? map = MapSize is int n ? layer.OutputSize(n) : null;
        if (map is <= 0) throw new ArgumentException($"layer '{layer.Name}' leaves no output for a {MapSize}x{MapSize} input");
        return new ReceptiveField(layer.Name, layer.Kind, Size + (k - 1) * d * Jump, Jump * s, Start + ((k - 1) / 2.0 * d - p) * Jump, map);
    }

    /// <summary>
    /// The unit's field as a box (x1, y1, x2, y2) in pixels, x2 and y2 exclusive, not clipped: columns
    /// x1 … x2 − 1 and rows y1 … y2 − 1 (parts may lie outside the image, in the padding).
    /// </summary>
    public (int X1, int Y1, int X2, int Y2) UnitBox(int row, int col)
    {
        int y1 = (int)Math.Round(Start + row * (double)Jump - (Size - 1) / 2.0), x1 = (int)Math.Round(Start + col * (double)Jump - (Size - 1) / 2.0);
        return (x1, y1, x1 + Size, y1 + Size);
    }

    /// <summary>The unit's field clipped to a <paramref name="height"/> x <paramref name="width"/> image; x2, y2 exclusive.</summary>
    public (int X1, int Y1, int X2, int Y2) UnitBox(int row, int col, int height, int width)
    {
        var (x1, y1, x2, y2) = UnitBox(row, col);
        return (Math.Clamp(x1, 0, width), Math.Clamp(y1, 0, height), Math.Clamp(x2, 0, width), Math.Clamp(y2, 0, height));
    }

    /// <summary>
    /// The receptive field of every layer of a list, in order (the input itself is not included).
    /// </summary>
    /// <param name="layers">The layers, first to last.</param>
    /// <param name="inputSize">Input side, to also compute each layer's map size; null to skip.</param>
    public static IReadOnlyList<ReceptiveField> Of(IEnumerable<LayerGeometry> layers, int? inputSize = null)
    {
        var list = new List<ReceptiveField>();
        var rf = Input(inputSize);
        foreach (var layer in layers) list.Add(rf = rf.Then(layer));
        return list;
    }

    /// <summary>The receptive field of every layer of a network's convolutional part (see <see cref="NetworkLayers.ConvolutionalPart"/>).</summary>
    /// <param name="model">Any network whose convolutional part is made of Conv2d, MaxPool2d, AvgPool2d, ReLU, BatchNorm2d, Dropout.</param>
    /// <param name="inputSize">Input side, to also compute map sizes; null to skip.</param>
    public static IReadOnlyList<ReceptiveField> Of(nn.Module model, int? inputSize = null) =>
        Of(NetworkLayers.ConvolutionalPart(model).Select(LayerGeometry.Of), inputSize);

    /// <summary>The layer called <paramref name="name"/> in <paramref name="fields"/>.</summary>
    /// <exception cref="ArgumentException">No such layer; the message lists the valid names.</exception>
    public static ReceptiveField Find(IReadOnlyList<ReceptiveField> fields, string name) =>
        fields.FirstOrDefault(f => f.Name == name)
        ?? throw new ArgumentException($"unknown layer '{name}'; valid layers: {string.Join(", ", fields.Select(f => f.Name))}");

    /// <summary>
    /// VGG-16's convolutional part (Simonyan &amp; Zisserman 2015, configuration D): thirteen 3x3 convolutions
    /// with padding 1 (conv1_1 … conv5_3, each followed by its ReLU) in five blocks ending in 2x2 max pooling
    /// (pool1 … pool5). Its conv5_3 units see 196 pixels, pool5 units 212.
    /// </summary>
    public static IReadOnlyList<LayerGeometry> Vgg16Layers { get; } = BuildVgg16();

    /// <summary>The fields as a plain-text table: layer, kind, size, jump, start (and map size when known).</summary>
    public static string Table(IReadOnlyList<ReceptiveField> fields)
    {
        var c = CultureInfo.InvariantCulture;
        bool maps = fields.Any(f => f.MapSize.HasValue);
        int w = Math.Max(5, fields.Select(f => f.Name.Length).DefaultIfEmpty(5).Max());
        var sb = new StringBuilder();
        sb.Append("layer".PadRight(w)).Append("  kind         size  jump   start").Append(maps ? "   map" : "").Append('\n');
        foreach (var f in fields)
        {
            sb.Append(f.Name.PadRight(w)).Append("  ").Append(f.Kind.ToString().PadRight(11))
              .Append(f.Size.ToString(c).PadLeft(6)).Append(f.Jump.ToString(c).PadLeft(6)).Append(f.Start.ToString("0.##", c).PadLeft(8));
            if (maps) sb.Append((f.MapSize?.ToString(c) ?? "").PadLeft(6));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Draws the fields of some units of this layer over an image (one box per unit, clipped to the image),
    /// so one sees how much of the picture each unit looks at.
    /// </summary>
    /// <param name="image">The picture, <c>[C, H, W]</c>, C = 1 or 3, uint8 or float in [0, 1].</param>
    /// <param name="units">(row, col) positions of units in this layer's map; null for the centre unit and the four corner units.</param>
    /// <param name="style">Box style; null for one-colour boxes without labels.</param>
    /// <returns><c>uint8</c> RGB <c>[3, H, W]</c>.</returns>
    public Tensor Draw(Tensor image, IEnumerable<(int Row, int Col)>? units = null, BoxStyle? style = null)
    {
        if (image.dim() != 3) throw new ArgumentException($"image must be [C, H, W], got [{string.Join(", ", image.shape)}]");
        int h = (int)image.shape[1], w = (int)image.shape[2];
        int m = MapSize ?? Math.Max(1, (int)Math.Floor((Math.Min(h, w) - 1 - Start) / Jump) + 1);
        units ??= new[] { (m / 2, m / 2), (0, 0), (0, m - 1), (m - 1, 0), (m - 1, m - 1) }.Distinct();
        var boxes = units.Select(u => UnitBox(u.Row, u.Col, h, w)).Where(b => b.X2 > b.X1 && b.Y2 > b.Y1)
            .SelectMany(b => new float[] { b.X1, b.Y1, b.X2, b.Y2 }).ToArray();
        using var scope = NewDisposeScope();
        var t = tensor(boxes, new long[] { boxes.Length / 4, 4 });
        var labels = arange(boxes.Length / 4, ScalarType.Int64);
        return BoxDrawing.Draw(image, t, labels, null, null, style ?? new BoxStyle { ShowLabels = false, LineWidth = 1 }).MoveToOuterDisposeScope();
    }

    private static List<LayerGeometry> BuildVgg16()
    {
        var layers = new List<LayerGeometry>();
        int[] convs = { 2, 2, 3, 3, 3 };
        for (int b = 1; b <= 5; b++)
        {
            for (int i = 1; i <= convs[b - 1]; i++)
            {
                layers.Add(LayerGeometry.Conv($"conv{b}_{i}", 3, padding: 1));
                layers.Add(LayerGeometry.ElementWise($"relu{b}_{i}"));
            }
            layers.Add(LayerGeometry.MaxPool($"pool{b}", 2));
        }
        return layers;
    }
}
