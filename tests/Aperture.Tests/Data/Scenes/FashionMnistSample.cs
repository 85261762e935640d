using Aperture.Data;

namespace Aperture.Tests.Data.Scenes;

/// <summary>
/// Real Fashion-MNIST items for the scene tests: the first 500 test images, in file order, of whatever the library's
/// locator finds (the full set where it is installed, else the sample shipped inside Aperture.dll; never a download).
/// </summary>
internal static class FashionMnistSample
{
    public const int Count = 500;

    public static readonly string[] ClassNames = [.. FashionMnist.ClassNames];

    /// <summary>The first 500 test images as <c>uint8 [500, 1, 28, 28]</c> with labels; the caller disposes.</summary>
    public static LabeledImages Load() => TestData.FashionMnistTestItems(Count);
}
