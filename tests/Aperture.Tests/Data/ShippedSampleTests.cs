using System.Runtime.CompilerServices;
using Aperture.Data;
using Aperture.Data.Sample;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class ShippedSampleTests
{
    private static string SampleFolder([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "../../../src/Aperture/Data/Sample/fashion-mnist"));

    /// <summary>
    /// Checks that the sample in the repository is exactly what the generator draws from the official
    /// files. With APERTURE_REGENERATE_SAMPLE=1 it first rewrites the sample (the documented way to regenerate it).
    /// </summary>
    [FashionMnistFact]
    public void ShippedSampleIsWhatTheGeneratorDrawsFromTheOfficialFiles()
    {
        if (Environment.GetEnvironmentVariable("APERTURE_REGENERATE_SAMPLE") == "1")
            ShippedSample.Generate(FashionMnistFactAttribute.Folder, SampleFolder(), 10, FashionMnist.SampleTrainPerClass, FashionMnist.SampleTestPerClass);

        using var dir = new TempDir();
        ShippedSample.Generate(FashionMnistFactAttribute.Folder, dir.Path, 10, FashionMnist.SampleTrainPerClass, FashionMnist.SampleTestPerClass);
        foreach (string name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
        {
            using var scope = NewDisposeScope();
            var fresh = IdxFile.Read(Path.Combine(dir.Path, name));
            var shipped = IdxFile.Read(Path.Combine(SampleFolder(), name));
            Assert.Equal(fresh.shape, shipped.shape);
            Assert.True(fresh.eq(shipped).all().item<bool>(), $"{name} differs from the generator's output");
        }
    }

    [FashionMnistFact]
    public void SampleImagesAreRealImagesWithTheirRealLabels()
    {
        using var full = FashionMnist.Load(DatasetSplit.Test, FashionMnistFactAttribute.Folder);
        using var sample = FashionMnist.LoadSample(DatasetSplit.Test);
        using var scope = NewDisposeScope();
        // Each sampled image occurs in the full test set with the same label.
        var flatFull = full.Images.reshape(full.Count, -1).to(ScalarType.Int32);
        for (int i = 0; i < sample.Count; i += 97)
        {
            var img = sample.Images[i].reshape(1, -1).to(ScalarType.Int32);
            var match = (flatFull - img).abs().sum(1).eq(0).nonzero();
            Assert.True(match.shape[0] >= 1, $"sample image {i} is not in the full test set");
            long j = match[0, 0].item<long>();
            Assert.Equal(full.Labels[j].item<long>(), sample.Labels[i].item<long>());
        }
    }

    [Theory]
    [InlineData(DatasetSplit.Train, 600)]
    [InlineData(DatasetSplit.Test, 100)]
    public void EmbeddedSampleIsStratified(DatasetSplit split, int perClass)
    {
        using var data = FashionMnist.LoadSample(split);
        using var scope = NewDisposeScope();
        Assert.Equal(10 * perClass, data.Count);
        Assert.Equal(new long[] { 10 * perClass, 1, 28, 28 }, data.Images.shape);
        Assert.Equal(ScalarType.Byte, data.Images.dtype);
        Assert.Equal(ScalarType.Int64, data.Labels.dtype);
        var counts = data.Labels.bincount(null).data<long>().ToArray();
        Assert.Equal(Enumerable.Repeat((long)perClass, 10), counts);
        Assert.Equal(FashionMnist.ClassNames, data.ClassNames);
        Assert.Contains("sample", data.Source);
    }

    [Fact]
    public void LicenceShipsBesideTheSample()
    {
        string licence = File.ReadAllText(Path.Combine(SampleFolder(), "LICENSE"));
        Assert.Contains("Copyright (c) 2017 Zalando SE", licence);
        Assert.Contains("MIT", licence);
        using var embedded = typeof(FashionMnist).Assembly.GetManifestResourceStream("Aperture.Data.Sample.fashion-mnist.LICENSE");
        Assert.NotNull(embedded);
    }
}
