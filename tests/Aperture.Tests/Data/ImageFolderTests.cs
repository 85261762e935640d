using Aperture.Data;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class ImageFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-folder-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Smooth, distinct images: a blob whose place and brightness depend on the index.</summary>
    private static Tensor Pictures(int n, int c, int h, int w)
    {
        var ys = arange(h, ScalarType.Float32).reshape(1, h, 1);
        var xs = arange(w, ScalarType.Float32).reshape(1, 1, w);
        var cy = linspace(3, h - 4, n).reshape(n, 1, 1);
        var cx = linspace(w - 4, 3, n).reshape(n, 1, 1);
        var blob = exp(-((ys - cy).square() + (xs - cx).square()) / 18);
        var tint = linspace(0.4, 1.0, c).reshape(1, c, 1, 1);
        return (blob.unsqueeze(1) * tint * 255).round().to_type(ScalarType.Byte);
    }

    private LabeledImages Sample(int c)
    {
        var images = Pictures(7, c, 20, 24);
        var labels = tensor(new long[] { 2, 0, 1, 2, 0, 1, 1 });
        return new LabeledImages(images, labels, new[] { "Bag", "Coat", "Sneaker" }, "test");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void RoundTripKeepsPixelsLabelsAndClasses(int channels)
    {
        using var scope = NewDisposeScope();
        using var data = Sample(channels);
        string root = Path.Combine(_dir, "ds");
        ImageFolder.Write(data, root);
        Assert.Equal(new[] { "Bag", "Coat", "Sneaker" }, Directory.GetDirectories(root).Select(Path.GetFileName).Order());
        File.WriteAllText(Path.Combine(root, "Coat", "notes.txt"), "ignored");

        using var back = ImageFolder.Read(root, channels: channels);
        Assert.Equal(data.ClassNames, back.ClassNames);
        Assert.Equal(7, back.Count);
        Assert.Equal(new long[] { 7, channels, 20, 24 }, back.Images.shape);
        // Files come back class by class, in index order within a class.
        long[] want = { 0, 0, 1, 1, 1, 2, 2 };
        Assert.Equal(want, back.Labels.data<long>().ToArray());
        int[] order = { 1, 4, 2, 5, 6, 0, 3 };
        Assert.True(back.Images.equal(data.Images[tensor(order)]).all().item<bool>());
        Assert.Equal(Path.GetFullPath(root), back.Source);
    }

    [Fact]
    public void ReadResizesAndConvertsColour()
    {
        using var scope = NewDisposeScope();
        using var data = Sample(3);
        string root = Path.Combine(_dir, "rgb");
        ImageFolder.Write(data, root, ".jpg");
        using var grey = ImageFolder.Read(root, height: 10, width: 12, channels: 1);
        Assert.Equal(new long[] { 7, 1, 10, 12 }, grey.Images.shape);
        // Shrunk image ≈ average pooled original's luma (JPEG and filtering allow a little error).
        var original = data.Images[tensor(new[] { 1, 4, 2, 5, 6, 0, 3 })].to_type(ScalarType.Float32);
        var luma = (original[.., 0] * 0.299f + original[.., 1] * 0.587f + original[.., 2] * 0.114f).unsqueeze(1);
        var pooled = nn.functional.avg_pool2d(luma, 2);
        var diff = (grey.Images.to_type(ScalarType.Float32) - pooled).abs().mean().item<float>();
        Assert.True(diff < 6, $"mean difference {diff}");
    }

    [Fact]
    public void DifferentSizesNeedATargetSize()
    {
        using var scope = NewDisposeScope();
        string root = Path.Combine(_dir, "mixed");
        ImageTensor.Write(Path.Combine(root, "a", "1.png"), Pictures(1, 3, 20, 24)[0]);
        ImageTensor.Write(Path.Combine(root, "a", "2.png"), Pictures(1, 3, 16, 16)[0]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Read(root));
        Assert.Contains("2.png", e.Message);
        using var ok = ImageFolder.Read(root, 8, 8);
        Assert.Equal(new long[] { 2, 3, 8, 8 }, ok.Images.shape);
    }

    [Fact]
    public void CorruptFileIsNamed()
    {
        using var scope = NewDisposeScope();
        using var data = Sample(1);
        string root = Path.Combine(_dir, "bad");
        ImageFolder.Write(data, root);
        string bad = Path.Combine(root, "Coat", "00009.png");
        File.WriteAllBytes(bad, new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3 });
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Read(root));
        Assert.Contains(bad, e.Message);

        // A truncated real PNG too.
        byte[] good = File.ReadAllBytes(Path.Combine(root, "Bag", "00001.png"));
        File.WriteAllBytes(bad, good[..(good.Length / 2)]);
        e = Assert.Throws<InvalidDataException>(() => ImageFolder.Read(root));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void FolderProblemsAreClearErrors()
    {
        string missing = Path.Combine(_dir, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Read(missing)).Message);

        string flat = Path.Combine(_dir, "flat");
        Directory.CreateDirectory(flat);
        File.WriteAllText(Path.Combine(flat, "x.png"), "");
        Assert.Contains("no class folders", Assert.Throws<InvalidDataException>(() => ImageFolder.Read(flat)).Message);

        using var scope = NewDisposeScope();
        using var data = Sample(1);
        string root = Path.Combine(_dir, "empty");
        ImageFolder.Write(data, root);
        string empty = Path.Combine(root, "Dress");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Read(root));
        Assert.Contains(empty, e.Message);
        Assert.Contains("no images", e.Message);
    }

    [Fact]
    public void WriterRefusesUnwritableData()
    {
        using var scope = NewDisposeScope();
        var images = Pictures(2, 1, 8, 8);
        var twoLabels = tensor(new long[] { 0, 0 });
        Assert.Throws<ArgumentException>(() => ImageFolder.Write(new LabeledImages(images, twoLabels, new[] { "a", "b" }, "t"), _dir));
        Assert.Throws<ArgumentException>(() => ImageFolder.Write(new LabeledImages(images, twoLabels, new[] { "../up" }, "t"), _dir));
        Assert.Throws<ArgumentException>(() => ImageFolder.Write(new LabeledImages(images, twoLabels, new[] { "a" }, "t"), _dir, ".bmp"));
        Assert.Empty(Directory.GetDirectories(_dir));
    }
}
