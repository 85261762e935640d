namespace Aperture.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf, 2017): 70,000 grey 28x28 images of Zalando articles in
/// 10 classes, 60,000 for training and 10,000 for testing; MIT licence, Copyright (c) 2017 Zalando SE.
/// </summary>
/// <remarks>
/// <see cref="Load"/> looks, in order, in the folder passed in (an error if the files are not there),
/// in <c>$APERTURE_DATA/fashion-mnist</c> or <c>$APERTURE_DATA</c>, in Debian's
/// <c>/usr/share/datasets/fashion-mnist</c> (package <c>dataset-fashion-mnist</c>), in the user cache
/// <c>$XDG_CACHE_HOME/aperture/fashion-mnist</c> (or <c>~/.cache/aperture/fashion-mnist</c>), then
/// downloads from the official mirror into that cache (SHA-256 checked; not when
/// <c>APERTURE_OFFLINE=1</c>), and last falls back to the stratified sample shipped inside Aperture.dll
/// (600 train and 100 test images per class). <see cref="LabeledImages.Source"/> says which was used.
/// </remarks>
public static class FashionMnist
{
    /// <summary>The official class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });

    /// <summary>Mean pixel value of the training set, on the [0, 1] scale.</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training set's pixels, on the [0, 1] scale.</summary>
    public const float Std = 0.3530f;

    /// <summary>The official download mirror.</summary>
    public const string MirrorUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Images per class in the shipped sample's train split.</summary>
    public const int SampleTrainPerClass = 600;

    /// <summary>Images per class in the shipped sample's test split.</summary>
    public const int SampleTestPerClass = 100;

    // SHA-256 of the decompressed IDX files (identical in the official and Debian's copies;
    // the .gz files themselves differ because Debian recompressed them).
    internal static readonly IdxDatasetSpec Spec = new(
        "Fashion-MNIST",
        "fashion-mnist",
        ClassNames,
        MirrorUrl,
        new Dictionary<string, IdxFileCheck>
        {
            ["train-images-idx3-ubyte"] = new("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", null),
            ["train-labels-idx1-ubyte"] = new("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", null),
            ["t10k-images-idx3-ubyte"] = new("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", null),
            ["t10k-labels-idx1-ubyte"] = new("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", null),
        },
        "Aperture.Data.Sample.fashion-mnist.");

    /// <summary>
    /// Loads a split: images <c>[N, 1, 28, 28]</c> <c>uint8</c>, labels <c>[N]</c> <c>int64</c> in [0, 10),
    /// the 10 class names, and the source used (see the remarks on <see cref="FashionMnist"/>).
    /// </summary>
    /// <param name="split">Train (60,000) or test (10,000).</param>
    /// <param name="dataDir">A folder holding the IDX files (or a <c>fashion-mnist/</c> subfolder with them); null to search.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="dataDir"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="dataDir"/> lacks the split's files.</exception>
    /// <exception cref="InvalidDataException">A file found is not valid IDX, or images and labels disagree; the message names the file.</exception>
    public static LabeledImages Load(DatasetSplit split, string? dataDir = null) =>
        DatasetLocator.FromEnvironment().Load(Spec, split, dataDir);

    /// <summary>
    /// Loads the stratified sample shipped inside Aperture.dll: images <c>[N, 1, 28, 28]</c> <c>uint8</c>,
    /// labels <c>[N]</c> <c>int64</c>, with N = 6,000 (train) or 1,000 (test), equal counts per class,
    /// drawn with a fixed seed from the official files.
    /// </summary>
    public static LabeledImages LoadSample(DatasetSplit split) =>
        Sample.ShippedSample.Load(Spec, split, "repository sample");
}
