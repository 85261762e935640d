using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

/// <summary>
/// Where the tests get Fashion-MNIST: through the library's own <see cref="DatasetLocator"/>, configured from this
/// process's environment as <see cref="FashionMnist.Load"/> is (<c>APERTURE_DATA</c>, Debian's folder, the user cache),
/// but never downloading. On a machine with only the .NET SDK that is the sample shipped inside Aperture.dll
/// (6,000 train / 1,000 test); tests that need the full set use <see cref="FashionMnistFactAttribute"/>.
/// </summary>
internal static class TestData
{
    /// <summary>No test downloads: every locator the library builds from the environment in this process is offline.</summary>
    [ModuleInitializer]
    internal static void ForbidDownloads() => Environment.SetEnvironmentVariable(DatasetLocator.OfflineVariable, "1");

    /// <summary>The library's locator as the environment configures it, with downloads off.</summary>
    public static DatasetLocator Locator { get; } = Offline(DatasetLocator.FromEnvironment());

    private static DatasetLocator Offline(DatasetLocator l) =>
        new() { EnvironmentRoot = l.EnvironmentRoot, SystemRoot = l.SystemRoot, CacheRoot = l.CacheRoot, AllowDownload = false };

    /// <summary>Debian's folder (package <c>dataset-fashion-mnist</c>), where the library's locator looks for it.</summary>
    public static string DebianFolder => Path.Combine(Locator.SystemRoot!, FashionMnist.Spec.FolderName);

    /// <summary>A split of Fashion-MNIST from wherever the locator finds it: the full set, or else the shipped sample.</summary>
    public static LabeledImages FashionMnistSplit(DatasetSplit split) => Locator.Load(FashionMnist.Spec, split, null);

    private static readonly Lazy<(byte[] Images, long[] Labels, string Source)> TestSplit = new(() =>
    {
        using var data = FashionMnistSplit(DatasetSplit.Test);
        return (data.Images.data<byte>().ToArray(), data.Labels.data<long>().ToArray(), data.Source);
    });

    /// <summary>
    /// The first <paramref name="n"/> test images, in file order, of whatever source the locator finds (the sample has 1,000),
    /// as <c>uint8 [n, 1, 28, 28]</c> with <c>int64</c> labels; the caller disposes.
    /// </summary>
    public static LabeledImages FashionMnistTestItems(int n)
    {
        var (images, labels, source) = TestSplit.Value;
        if (n > labels.Length) throw new ArgumentOutOfRangeException(nameof(n), $"{source} holds only {labels.Length} test images");
        return new LabeledImages(
            tensor(images.AsSpan(0, n * 28 * 28).ToArray(), new long[] { n, 1, 28, 28 }, ScalarType.Byte),
            tensor(labels[..n], ScalarType.Int64), FashionMnist.ClassNames, $"first {n} test images of {source}");
    }

    /// <summary>The folders the locator searches, in its order (before the download and the shipped sample).</summary>
    private static IEnumerable<string> SearchedFolders()
    {
        string name = FashionMnist.Spec.FolderName;
        if (Locator.EnvironmentRoot is { } env) { yield return Path.Combine(env, name); yield return env; }
        if (Locator.SystemRoot is { } system) yield return Path.Combine(system, name);
        yield return Path.Combine(Locator.CacheRoot, name);
    }

    /// <summary>The full official set's image and label counts per split.</summary>
    private static readonly (DatasetSplit Split, int Count)[] FullCounts = [(DatasetSplit.Train, 60000), (DatasetSplit.Test, 10000)];

    private static readonly Lazy<(string? Folder, string Why)> Full = new(() =>
    {
        foreach (string dir in SearchedFolders())
        {
            var pairs = FullCounts.Select(s => (s.Split, s.Count, Pair: DatasetLocator.FindPair(dir, IdxDatasetSpec.FileNames(s.Split).Images, IdxDatasetSpec.FileNames(s.Split).Labels))).ToArray();
            if (pairs.All(p => p.Pair is null)) continue;
            // The first folder holding a split is the one the locator loads it from: it must hold the whole set, not a part.
            foreach (var (split, count, pair) in pairs)
            {
                if (pair is null) return (null, $"{dir}, found first, lacks its {split.ToString().ToLowerInvariant()} split");
                foreach (string file in new[] { pair.Value.Images, pair.Value.Labels })
                    if (ItemCount(file) is var got && got != count)
                        return (null, $"{file}, found first, holds {got} items, not the full set's {count}");
            }
            return (dir, "");
        }
        return (null, $"it is in none of {string.Join(", ", SearchedFolders())}");
    });

    /// <summary>
    /// The folder holding the full official Fashion-MNIST (60,000 train, 10,000 test): the first folder, in the locator's
    /// order, that holds either split, if it holds both whole; else null.
    /// </summary>
    public static string? FullFashionMnistFolder => Full.Value.Folder;

    /// <summary>Why <see cref="FullFashionMnistFolder"/> is null, and how to get the full set.</summary>
    public static string FullFashionMnistMissing =>
        $"needs the full Fashion-MNIST (60,000 + 10,000 images), not the shipped sample; {Full.Value.Why}. To run it, " +
        $"install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist, into {DebianFolder}) " +
        $"or set {DatasetLocator.DataVariable} to a folder holding the official files";

    /// <summary>The first dimension of an IDX file (raw or gzip), read from its header.</summary>
    private static int ItemCount(string path)
    {
        using Stream file = File.OpenRead(path);
        int first = file.ReadByte();
        file.Position = 0;
        using Stream input = first == 0x1f ? new GZipStream(file, CompressionMode.Decompress) : file;
        var header = new byte[8];
        input.ReadExactly(header);
        return BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
    }
}
