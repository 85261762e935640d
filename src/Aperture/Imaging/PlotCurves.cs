using Aperture.Core;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Imaging;

/// <summary>Line plots of named series over epochs (learning curves), drawn with ScottPlot, written as PNG.</summary>
public static class PlotCurves
{
    /// <summary>
    /// Renders the curves to PNG bytes: one line per curve with markers (for up to 60 points), a legend,
    /// optional second y axis on the right for curves with <see cref="Curve.RightAxis"/>.
    /// </summary>
    /// <param name="curves">The series; at least one.</param>
    /// <param name="title">Plot title, or empty.</param>
    /// <param name="xLabel">X axis label.</param>
    /// <param name="yLabel">Left y axis label.</param>
    /// <param name="rightLabel">Right y axis label (used when some curve is on the right axis).</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    public static byte[] RenderPng(IReadOnlyList<Curve> curves, string title = "", string xLabel = "epoch", string yLabel = "",
        string rightLabel = "", int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0) throw new ArgumentException("nothing to plot: no curves given", nameof(curves));
        if (width < 100 || height < 100) throw new ArgumentOutOfRangeException(nameof(width), $"plot size {width}x{height} is too small (at least 100x100)");
        var plot = new ScottPlot.Plot();
        try
        {
            if (TextFont.FamilyName is { } family) plot.Font.Set(family);
            bool right = false;
            foreach (var curve in curves)
            {
                var (xs, ys) = Points(curve);
                if (xs.Length == 0) continue;
                var line = plot.Add.Scatter(xs, ys);
                line.LegendText = curve.Name;
                line.LineWidth = 2;
                line.MarkerSize = xs.Length <= 60 ? 5 : 0;
                if (curve.RightAxis)
                {
                    line.Axes.YAxis = plot.Axes.Right;
                    right = true;
                }
            }
            if (title.Length > 0) plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            if (right) plot.Axes.Right.Label.Text = rightLabel;
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
            return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
        }
        finally
        {
            plot.Dispose();
        }
    }

    /// <summary>The plot of <see cref="RenderPng"/> as a <c>uint8</c> RGB tensor <c>[3, height, width]</c>.</summary>
    public static Tensor Render(IReadOnlyList<Curve> curves, string title = "", string xLabel = "epoch", string yLabel = "",
        string rightLabel = "", int width = 800, int height = 500)
    {
        byte[] png = RenderPng(curves, title, xLabel, yLabel, rightLabel, width, height);
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidOperationException("ScottPlot produced an undecodable PNG");
        return ImageTensor.FromBitmap(bitmap);
    }

    /// <summary>Writes the plot of <see cref="RenderPng"/> to a PNG file, atomically.</summary>
    public static void Write(string path, IReadOnlyList<Curve> curves, string title = "", string xLabel = "epoch", string yLabel = "",
        string rightLabel = "", int width = 800, int height = 500)
    {
        if (!path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{path}: plots are written as PNG; use a .png file name");
        byte[] png = RenderPng(curves, title, xLabel, yLabel, rightLabel, width, height);
        AtomicFile.WriteAllBytes(path, png);
    }

    private static (double[] X, double[] Y) Points(Curve curve)
    {
        if (curve.X is not null && curve.X.Count != curve.Values.Count)
            throw new ArgumentException($"curve '{curve.Name}' has {curve.X.Count} x values for {curve.Values.Count} y values");
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < curve.Values.Count; i++)
        {
            double x = curve.X?[i] ?? i + 1, y = curve.Values[i];
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            xs.Add(x);
            ys.Add(y);
        }
        return (xs.ToArray(), ys.ToArray());
    }
}
