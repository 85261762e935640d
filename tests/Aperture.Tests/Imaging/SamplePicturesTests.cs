using Aperture.Imaging;
using Aperture.Tests.Data;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

/// <summary>
/// Writes one of each picture this folder makes, from real data (Fashion-MNIST as the library finds it, the shipped
/// sample at least; scikit-image's astronaut photo when the machine has it), so a person can look at them:
/// set APERTURE_LOOK_DIR to keep them (otherwise they go to a temporary folder and are only checked to decode).
/// </summary>
public class SamplePicturesTests : IDisposable
{
    private static readonly string[] Names = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
    private readonly string? _keep = Environment.GetEnvironmentVariable("APERTURE_LOOK_DIR");
    private readonly string _dir;

    public SamplePicturesTests() =>
        _dir = _keep is { Length: > 0 } ? Directory.CreateDirectory(_keep).FullName : Directory.CreateTempSubdirectory("aperture-look-").FullName;

    public void Dispose()
    {
        if (_keep is not { Length: > 0 }) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The first <paramref name="n"/> Fashion-MNIST test items uint8 [n, 1, 28, 28] and labels, from wherever the library finds them.</summary>
    private static (Tensor Images, long[] Labels) Fashion(int n)
    {
        using var data = TestData.FashionMnistTestItems(n);
        return (data.Images.clone(), data.Labels.data<long>().ToArray());
    }

    [Fact]
    public void SamplePicturesAreWrittenAndDecode()
    {
        using var scope = NewDisposeScope();
        var (items, labels) = Fashion(40);

        // A scene: items scaled 2-3x on a textured grey background, with exact boxes and a class mask.
        const int size = 320;
        var g = new Generator(11);
        var scene = (rand(1, size, size, generator: g) * 60 + 70).to_type(ScalarType.Byte).expand(3, -1, -1).contiguous();
        var mask = zeros(size, size, ScalarType.Int64);
        var placements = new (int Item, int X, int Y, int Scale)[] { (0, 20, 30, 3), (1, 150, 20, 2), (2, 200, 160, 4), (8, 30, 190, 3) };
        var boxes = new List<float>();
        var boxLabels = new List<long>();
        foreach (var (item, x, y, s) in placements)
        {
            var big = items[item].repeat_interleave(s, 1).repeat_interleave(s, 2); // [1, 28s, 28s]
            var region = scene.narrow(1, y, 28 * s).narrow(2, x, 28 * s);
            var on = big.gt(20);
            region.copy_(where(on, big.expand(3, -1, -1), region));
            mask.narrow(0, y, 28 * s).narrow(1, x, 28 * s).masked_fill_(on[0], labels[item] + 1);
            boxes.AddRange(new float[] { x, y, x + 28 * s, y + 28 * s });
            boxLabels.Add(labels[item]);
        }
        boxes.AddRange(new float[] { 280, 280, 360, 360 }); // partly outside: clipped
        boxLabels.Add(4);
        var drawn = BoxDrawing.Draw(scene, tensor(boxes.ToArray()).reshape(-1, 4), tensor(boxLabels.ToArray()), Names,
            tensor(new[] { 0.93f, 0.88f, 0.71f, 0.64f, 0.12f }));
        ImageTensor.Write(Path.Combine(_dir, "boxes.png"), drawn);
        ImageTensor.Write(Path.Combine(_dir, "mask-overlay.png"), Overlay.Mask(scene, mask, alpha: 0.6));

        // A photo with a box and a heatmap, as a CAM would give: coarse 14x14, upsampled.
        const string photo = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
        var image = File.Exists(photo) ? ImageTensor.Read(photo) : scene;
        long h = image.shape[1], w = image.shape[2];
        var yy = arange(14, ScalarType.Float32).reshape(14, 1);
        var xx = arange(14, ScalarType.Float32).reshape(1, 14);
        var heat = exp(-((yy - 3.5f).square() + (xx - 6.5f).square()) / 6) + 0.5f * exp(-((yy - 10).square() + (xx - 3).square()) / 10);
        ImageTensor.Write(Path.Combine(_dir, "heatmap-overlay.png"), Overlay.Heatmap(image, heat, alpha: 0.5, map: ColorMap.Turbo));
        ImageTensor.Write(Path.Combine(_dir, "heatmap-viridis.png"), Overlay.Heatmap(image, heat, alpha: 0.5));
        var photoBoxes = BoxDrawing.Draw(image, tensor(new float[] { 150, 20, 330, 220, 330, 170, 470, 330 }).reshape(2, 4),
            tensor(new long[] { 0, 1 }), new[] { "face", "shuttle" }, tensor(new[] { 0.97f, 0.55f }));
        ImageTensor.Write(Path.Combine(_dir, "photo-boxes.png"), photoBoxes);

        // A prediction grid with captions: every fifth "prediction" is wrong.
        var captions = Enumerable.Range(0, 24).Select(i =>
        {
            string truth = Names[labels[i]], predicted = i % 5 == 3 ? Names[(labels[i] + 2) % 10] : truth;
            return Caption.Prediction(predicted, 0.5 + 0.02 * i, truth);
        }).ToArray();
        ImageTensor.Write(Path.Combine(_dir, "grid-captions.png"), ImageGrid.Tile(items[..24], columns: 8, padding: 4, scale: 3, captions: captions));
        var filters = ImageGrid.Filters(randn(16, 1, 5, 5, generator: g));
        ImageTensor.Write(Path.Combine(_dir, "filters.png"), ImageGrid.Tile(filters, columns: 8, padding: 2, scale: 8, background: new SKColor(40, 40, 40)));

        // Learning curves and a confusion matrix.
        int epochs = 20;
        double[] e = Enumerable.Range(1, epochs).Select(i => (double)i).ToArray();
        PlotCurves.Write(Path.Combine(_dir, "curves.png"), new[]
        {
            new Curve("train loss", e.Select(i => 0.3 + 2.0 * Math.Exp(-i / 3)).ToArray()),
            new Curve("val loss", e.Select(i => 0.38 + 1.9 * Math.Exp(-i / 3) + 0.004 * i).ToArray()),
            new Curve("train accuracy", e.Select(i => 0.92 - 0.7 * Math.Exp(-i / 3)).ToArray(), RightAxis: true),
            new Curve("val accuracy", e.Select(i => 0.88 - 0.68 * Math.Exp(-i / 3)).ToArray(), RightAxis: true),
        }, "LeNet-5 on Fashion-MNIST", yLabel: "loss", rightLabel: "accuracy");
        var counts = zeros(10, 10, ScalarType.Int64);
        for (int i = 0; i < 10; i++)
        {
            counts[i, i] = tensor(700L + 25 * i);
            counts[i, (i + 6) % 10] = tensor(120L - 10 * i);
            counts[i, (i + 2) % 10] = tensor(30L);
        }
        PlotConfusionMatrix.Write(Path.Combine(_dir, "confusion.png"), counts, Names, "Fashion-MNIST test set");

        foreach (var (file, width, height) in new[] { ("boxes.png", size, size), ("mask-overlay.png", size, size), ("heatmap-overlay.png", (int)w, (int)h),
                     ("curves.png", 800, 500), ("grid-captions.png", 8 * 88 + 4, -1), ("filters.png", 8 * 42 + 2, 2 * 42 + 2) })
        {
            var (fw, fh) = ImageFile.ReadSize(Path.Combine(_dir, file));
            Assert.Equal(width, fw);
            if (height > 0) Assert.Equal(height, fh);
        }
        Assert.True(ImageFile.ReadSize(Path.Combine(_dir, "confusion.png")).Width > 10 * 28);
    }
}
