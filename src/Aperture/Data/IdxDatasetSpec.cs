namespace Aperture.Data;

/// <summary>
/// How one published IDX dataset (MNIST, Fashion-MNIST) is laid out and where it can be found:
/// its file names, class names, official mirror, the digests that a download must match, and the
/// repository sample that stands in when the full data is nowhere.
/// </summary>
/// <param name="Name">Display name, e.g. "Fashion-MNIST".</param>
/// <param name="FolderName">Folder name under a data root or the cache, e.g. "fashion-mnist".</param>
/// <param name="ClassNames">Class names indexed by label.</param>
/// <param name="MirrorUrl">Base address of the official download mirror (ends with '/'), or null.</param>
/// <param name="Checks">Expected digest for each file base name (e.g. "train-images-idx3-ubyte").</param>
/// <param name="SampleResourcePrefix">Manifest resource prefix of the shipped sample, or null when none ships.</param>
internal sealed record IdxDatasetSpec(
    string Name,
    string FolderName,
    IReadOnlyList<string> ClassNames,
    string? MirrorUrl,
    IReadOnlyDictionary<string, IdxFileCheck> Checks,
    string? SampleResourcePrefix)
{
    /// <summary>File base names (without ".gz") of the images and labels of a split, as published.</summary>
    public static (string Images, string Labels) FileNames(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        DatasetSplit.Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };
}

/// <summary>
/// The digest a downloaded file must have. <paramref name="ContentSha256"/> is over the decompressed
/// IDX bytes (header and data), so it does not depend on how the file was gzipped;
/// <paramref name="FileMd5"/> is over the published <c>.gz</c> file itself. At least one is set.
/// </summary>
internal sealed record IdxFileCheck(string? ContentSha256, string? FileMd5);
