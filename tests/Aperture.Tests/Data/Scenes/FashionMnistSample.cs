using System.IO.Compression;
using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Data.Scenes;

/// <summary>
/// A tiny test-local IDX reader: the first images of the real Fashion-MNIST test set from Debian's
/// dataset-fashion-mnist package, so the scene tests use real items without depending on the loader.
/// </summary>
internal static class FashionMnistSample
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static readonly Lazy<(byte[] Images, long[] Labels)> Raw = new(() =>
    {
        const int n = 500;
        byte[] images = ReadGz(Path.Combine(Folder, "t10k-images-idx3-ubyte.gz"), 16, n * 28 * 28);
        byte[] labels = ReadGz(Path.Combine(Folder, "t10k-labels-idx1-ubyte.gz"), 8, n);
        return (images, labels.Select(b => (long)b).ToArray());
    });

    /// <summary>The first 500 test images as <c>uint8 [500, 1, 28, 28]</c> with labels; the caller disposes.</summary>
    public static LabeledImages Load()
    {
        var (images, labels) = Raw.Value;
        return new LabeledImages(
            tensor(images, new long[] { labels.Length, 1, 28, 28 }, ScalarType.Byte),
            tensor(labels, ScalarType.Int64), ClassNames, Folder);
    }

    private static byte[] ReadGz(string path, int header, int count)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var skip = new byte[header];
        gz.ReadExactly(skip);
        var data = new byte[count];
        gz.ReadExactly(data);
        return data;
    }
}
