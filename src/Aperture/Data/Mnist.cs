namespace Aperture.Data;

/// <summary>
/// MNIST (LeCun et al. 1998): 70,000 grey 28x28 handwritten digits, 60,000 for training and
/// 10,000 for testing. Searched like <see cref="FashionMnist"/> (folder passed in, <c>$APERTURE_DATA/mnist</c>,
/// <c>/usr/share/datasets/mnist</c>, the user cache <c>~/.cache/aperture/mnist</c>, a download checked
/// by MD5), but no sample ships: when nothing is found, loading fails with the places searched.
/// </summary>
public static class Mnist
{
    /// <summary>The class names, "0" to "9", indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
        Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());

    /// <summary>Mean pixel value of the training set, on the [0, 1] scale.</summary>
    public const float Mean = 0.1307f;

    /// <summary>Standard deviation of the training set's pixels, on the [0, 1] scale.</summary>
    public const float Std = 0.3081f;

    /// <summary>The download mirror (the copy PyTorch's torchvision uses).</summary>
    public const string MirrorUrl = "https://ossci-datasets.s3.amazonaws.com/mnist/";

    // MD5 of the published .gz files.
    internal static readonly IdxDatasetSpec Spec = new(
        "MNIST",
        "mnist",
        ClassNames,
        MirrorUrl,
        new Dictionary<string, IdxFileCheck>
        {
            ["train-images-idx3-ubyte"] = new(null, "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            ["train-labels-idx1-ubyte"] = new(null, "d53e105ee54ea40749a09fcbcd1e9432"),
            ["t10k-images-idx3-ubyte"] = new(null, "9fb629c4189551a2d022fa330f9573f3"),
            ["t10k-labels-idx1-ubyte"] = new(null, "ec29112dd5afa0611ce80d1b7f02629c"),
        },
        null);

    /// <summary>
    /// Loads a split: images <c>[N, 1, 28, 28]</c> <c>uint8</c>, labels <c>[N]</c> <c>int64</c> in [0, 10),
    /// the digit names, and the source used.
    /// </summary>
    /// <param name="split">Train (60,000) or test (10,000).</param>
    /// <param name="dataDir">A folder holding the IDX files (or an <c>mnist/</c> subfolder with them); null to search.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="dataDir"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">The files are not in <paramref name="dataDir"/>, or were found nowhere.</exception>
    /// <exception cref="InvalidDataException">A file found is not valid IDX, or images and labels disagree; the message names the file.</exception>
    public static LabeledImages Load(DatasetSplit split, string? dataDir = null) =>
        DatasetLocator.FromEnvironment().Load(Spec, split, dataDir);
}
