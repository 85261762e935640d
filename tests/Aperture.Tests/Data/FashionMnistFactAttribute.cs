namespace Aperture.Tests.Data;

/// <summary>A fact that needs Debian's Fashion-MNIST files; skipped, saying so, where they are absent.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";

    public FashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(Folder, "train-images-idx3-ubyte.gz")) || !File.Exists(Path.Combine(Folder, "t10k-labels-idx1-ubyte.gz")))
            Skip = $"{Folder} is absent: install Debian's package dataset-fashion-mnist to run this test";
    }
}
