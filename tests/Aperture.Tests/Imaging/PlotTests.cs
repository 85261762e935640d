using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

public class PlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-plot-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Curve[] Curves =
    {
        new("train loss", new[] { 2.3, 1.1, 0.7, 0.55, 0.5 }),
        new("val loss", new[] { 2.2, 1.2, double.NaN, 0.7, 0.72 }),
        new("val accuracy", new[] { 0.2, 0.6, 0.75, 0.8, 0.81 }, RightAxis: true),
    };

    [Fact]
    public void LearningCurvePngDecodesAtTheAskedSize()
    {
        string p = Path.Combine(_dir, "curves.png");
        PlotCurves.Write(p, Curves, "Learning curves", yLabel: "loss", rightLabel: "accuracy", width: 640, height: 400);
        Assert.Equal((640, 400), ImageFile.ReadSize(p));
        using var scope = NewDisposeScope();
        var img = ImageTensor.Read(p);
        // Not blank: the lines put colour on the white background.
        var rgb = img.to_type(ScalarType.Int32);
        var saturation = rgb.amax(new long[] { 0 }) - rgb.amin(new long[] { 0 });
        Assert.True(saturation.gt(100).sum().item<long>() > 200);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void CurveErrorsAreClear()
    {
        Assert.Throws<ArgumentException>(() => PlotCurves.RenderPng(Array.Empty<Curve>()));
        var e = Assert.Throws<ArgumentException>(() => PlotCurves.RenderPng(new[] { new Curve("a", new[] { 1.0, 2 }, new[] { 1.0 }) }));
        Assert.Contains("'a'", e.Message);
        Assert.Throws<ArgumentException>(() => PlotCurves.Write(Path.Combine(_dir, "x.jpg"), Curves));
    }

    [Fact]
    public void ConfusionMatrixShowsRowsShadedByFraction()
    {
        using var scope = NewDisposeScope();
        var counts = tensor(new long[] { 90, 10, 0, 5, 80, 15, 0, 0, 100 }).reshape(3, 3);
        string[] names = { "T-shirt/top", "Trouser", "Bag" };
        string p = Path.Combine(_dir, "cm.png");
        PlotConfusionMatrix.Write(p, counts, names);
        var img = ImageTensor.Read(p);
        var (w, h) = ImageFile.ReadSize(p);
        Assert.Equal(new long[] { 3, h, w }, img.shape);
        Assert.True(w > 3 * 28 && h > 3 * 28);
        Assert.Equal(img.shape, PlotConfusionMatrix.Render(counts, names).shape);
        // The darkest cells are the full diagonal entry (row 2) — its blue is far from white.
        Assert.True(img[2].to_type(ScalarType.Int32).min().item<int>() < 120);
        Assert.Throws<ArgumentException>(() => PlotConfusionMatrix.Render(zeros(2, 3), names));
        Assert.Throws<ArgumentException>(() => PlotConfusionMatrix.Render(counts, names[..2]));
    }
}
