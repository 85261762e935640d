using System.CommandLine;
using Aperture.Data;

namespace Aperture.Cli;

/// <summary>The classification data a verb works on: Fashion-MNIST, or the user's image folder.</summary>
internal static class Datasets
{
    public static Option<string?> FolderOption() => new("--folder")
    {
        Description = "Use your own images instead: a folder with train/ and test/ sub-folders, each holding one folder per class (PNG/JPEG, resized to 28x28)",
    };

    public static Option<int> ChannelsOption() => new("--channels") { Description = "With --folder: 1 (grey) or 3 (RGB)", DefaultValueFactory = _ => 1 };

    /// <summary>Fashion-MNIST, or an image folder with train/ and test/ sub-folders.</summary>
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
            throw new InvalidDataException($"{folder}: train/ has classes [{string.Join(", ", train.ClassNames)}] but test/ has [{string.Join(", ", test.ClassNames)}]");
        return (train, test);
    }


    /// <summary>Only the test split.</summary>
    public static LabeledImages LoadTest(string? folder, int channels, string? dataDir) => folder is null
        ? FashionMnist.Load(DatasetSplit.Test, dataDir)
        : ImageFolder.Read(Path.Combine(folder, "test"), 28, 28, channels);
}
