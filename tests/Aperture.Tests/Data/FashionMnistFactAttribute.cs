namespace Aperture.Tests.Data;

/// <summary>
/// A fact that needs the full official Fashion-MNIST (60,000 + 10,000 images), not the shipped sample, e.g. to check
/// the official files' digests or counts; skipped, saying how to get the set, where the library's locator does not find it
/// (in <c>APERTURE_DATA</c>, Debian's <c>/usr/share/datasets/fashion-mnist</c> or the user cache; never downloaded).
/// </summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    /// <summary>The folder holding the full set; only in a test this attribute did not skip.</summary>
    public static string Folder => TestData.FullFashionMnistFolder
        ?? throw new InvalidOperationException($"this test {TestData.FullFashionMnistMissing}");

    public FashionMnistFactAttribute()
    {
        if (TestData.FullFashionMnistFolder is null) Skip = TestData.FullFashionMnistMissing;
    }
}

/// <summary>
/// A fact about Debian's own folder (package <c>dataset-fashion-mnist</c>) being found when nothing else is set;
/// skipped where that package is not installed, or where <c>APERTURE_DATA</c> is set (it is searched first, by design).
/// </summary>
public sealed class DebianFashionMnistFactAttribute : FactAttribute
{
    public DebianFashionMnistFactAttribute()
    {
        if (TestData.Locator.EnvironmentRoot is { } env)
            Skip = $"{Aperture.Data.DatasetLocator.DataVariable}={env} is set and is searched before Debian's folder, by design: unset it to run this test";
        else if (Aperture.Data.DatasetLocator.FindPair(TestData.DebianFolder, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte") is null)
            Skip = $"{TestData.DebianFolder} is absent: install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) to run this test";
    }
}
