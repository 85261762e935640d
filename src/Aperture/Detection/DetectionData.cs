using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Data.Scenes;

namespace Aperture.Detection;

/// <summary>
/// The images a detection run trains and is scored on, held in memory with their proposals: a VOC or COCO dataset
/// folder (the generator's scenes or the user's own), its train / val / test splits, and — when a method needs them —
/// one proposal source's boxes for every image, computed once (and cached on disk when asked) for all methods.
/// </summary>
public sealed class DetectionData : IDisposable
{
    private DetectionData(string root, DatasetFormat format, IReadOnlyList<string> classNames, List<DetectionImage> train, List<DetectionImage> validation,
        List<DetectionImage> test)
    {
        Root = root; Format = format; ClassNames = classNames; Train = train; Validation = validation; Test = test;
    }

    /// <summary>The dataset folder.</summary>
    public string Root { get; }

    /// <summary>Its format.</summary>
    public DatasetFormat Format { get; }

    /// <summary>Object class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Training images.</summary>
    public IReadOnlyList<DetectionImage> Train { get; }

    /// <summary>Validation images (may be empty).</summary>
    public IReadOnlyList<DetectionImage> Validation { get; }

    /// <summary>Test images.</summary>
    public IReadOnlyList<DetectionImage> Test { get; }

    /// <summary>The proposal source attached, or null.</summary>
    public string? ProposalName { get; private set; }

    /// <summary>Proposal time per test image in milliseconds (0 when none are attached).</summary>
    public double ProposalMs { get; private set; }

    /// <summary>Mean proposals per test image.</summary>
    public double ProposalsPerImage { get; private set; }

    /// <summary>Recall at IoU 0.5 of all proposals on the test images.</summary>
    public double ProposalRecall { get; private set; }

    /// <summary>Writes generated scenes (VOC + COCO + masks, 80/10/10 train/val/test) into <paramref name="dir"/>, or reuses those already there.</summary>
    /// <param name="dir">Dataset folder.</param>
    /// <param name="count">Scenes in all.</param>
    /// <param name="seed">Generator seed.</param>
    /// <param name="fashionMnist">Fashion-MNIST folder, or null to search the usual places (training items for training scenes, test items for test scenes).</param>
    /// <param name="log">Progress lines, or null.</param>
    /// <returns><paramref name="dir"/>.</returns>
    public static string Scenes(string dir, int count, long seed, string? fashionMnist, TextWriter? log = null) =>
        ScenesWriter.Ensure(dir, count, seed, fashionMnist, log);

    /// <summary>Loads a dataset folder's splits into memory.</summary>
    /// <param name="root">VOC or COCO folder with a train and a test split (val optional).</param>
    /// <param name="format">Its format, or auto.</param>
    /// <param name="limitTrain">At most this many training images (0: all).</param>
    /// <param name="limitValidation">At most this many validation images (0: none).</param>
    /// <param name="limitTest">At most this many test images (0: all).</param>
    /// <exception cref="InvalidDataException">No test split, or a bad annotation (the message names the file).</exception>
    public static DetectionData Load(string root, DatasetFormat format = DatasetFormat.Auto, int limitTrain = 0, int limitValidation = 0, int limitTest = 0)
    {
        var splits = DetectionDataset.Splits(root);
        if (!splits.Contains("test")) throw new InvalidDataException($"{root}: no 'test' split to evaluate on (found: {string.Join(", ", splits)})");
        var trainSet = DetectionDataset.Load(root, "train", format);
        var train = DetectionImage.Load(trainSet, limitTrain);
        var validation = limitValidation > 0 && splits.Contains("val") ? DetectionImage.Load(DetectionDataset.Load(root, "val", format), limitValidation) : [];
        var test = DetectionImage.Load(DetectionDataset.Load(root, "test", format), limitTest);
        return new DetectionData(root, trainSet.Format, trainSet.ClassNames, train, validation, test);
    }

    /// <summary>Computes (or reads from <paramref name="cacheDir"/>) the proposals of every image, and measures their recall on the test images.</summary>
    /// <param name="source">The proposal source.</param>
    /// <param name="cacheDir">Folder of per-split cache files, or null for none.</param>
    /// <param name="log">Progress lines, or null.</param>
    public void AttachProposals(IProposalSource source, string? cacheDir, TextWriter? log)
    {
        string? Cache(string split) => cacheDir is null ? null : Path.Combine(cacheDir, $"{split}-{source.Name}.json");
        ProposalCache.Attach(Train, source, Cache("train"), log: log);
        if (Validation.Count > 0) ProposalCache.Attach(Validation, source, Cache("val"), log: log);
        ProposalMs = ProposalCache.Attach(Test, source, Cache("test"), log: log);
        ProposalName = source.Name;
        ProposalsPerImage = Test.Average(t => (double)t.Proposals!.shape[0]);
        int most = (int)Test.Max(t => t.Proposals!.shape[0]);
        ProposalRecall = ProposalMetrics.Recall(Test.Select(t => t.Proposals!).ToList(), Test.Select(t => t.Boxes).ToList(), [Math.Max(1, most)])[0];
        log?.WriteLine($"proposals: {source.Name}, {ProposalsPerImage:F0} per test image, recall@0.5 {ProposalRecall:P1}, {ProposalMs:F1} ms per image");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var im in Train.Concat(Validation).Concat(Test)) im.Dispose();
    }
}
