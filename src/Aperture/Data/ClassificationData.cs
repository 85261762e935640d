namespace Aperture.Data;

/// <summary>The images a classifier trains and is scored on: Fashion-MNIST, or the user's image folder.</summary>
public static class ClassificationData
{
    /// <summary>Fashion-MNIST (found as <see cref="FashionMnist.Load"/> says), or an image folder with <c>train/</c> and <c>test/</c> sub-folders.</summary>
    /// <param name="folder">An image folder (one sub-folder per class in each split, PNG/JPEG, resized to 28x28), or null for Fashion-MNIST.</param>
    /// <param name="channels">With <paramref name="folder"/>: 1 (grey) or 3 (RGB).</param>
    /// <param name="dataDir">Explicit Fashion-MNIST folder, or null to search the usual places.</param>
    /// <returns>Training and test images, <c>uint8 [N, C, 28, 28]</c> with labels; the caller disposes both.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder lacks train/ or test/.</exception>
    /// <exception cref="InvalidDataException">The two splits have different classes.</exception>
    public static (LabeledImages Train, LabeledImages Test) Load(string? folder, int channels, string? dataDir)
    {
        if (folder is null)
            return (FashionMnist.Load(DatasetSplit.Train, dataDir), FashionMnist.Load(DatasetSplit.Test, dataDir));
        string trainDir = Path.Combine(folder, "train"), testDir = Path.Combine(folder, "test");
        if (!Directory.Exists(trainDir) || !Directory.Exists(testDir))
            throw new DirectoryNotFoundException($"{folder}: an image-folder dataset needs train/ and test/ sub-folders, each with one folder per class");
        var train = ImageFolder.Read(trainDir, 28, 28, channels);
        var test = ImageFolder.Read(testDir, 28, 28, channels);
        if (!train.ClassNames.SequenceEqual(test.ClassNames))
        {
            string message = $"{folder}: train/ has classes [{string.Join(", ", train.ClassNames)}] but test/ has [{string.Join(", ", test.ClassNames)}]";
            train.Dispose();
            test.Dispose();
            throw new InvalidDataException(message);
        }
        return (train, test);
    }

    /// <summary>Only the test split (of Fashion-MNIST, or <c>folder/test</c>).</summary>
    public static LabeledImages LoadTest(string? folder, int channels, string? dataDir) => folder is null
        ? FashionMnist.Load(DatasetSplit.Test, dataDir)
        : ImageFolder.Read(Path.Combine(folder, "test"), 28, 28, channels);
}
