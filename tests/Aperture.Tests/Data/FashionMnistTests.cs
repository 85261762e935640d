using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

public class FashionMnistTests
{
    [FashionMnistFact]
    public void LocatorLoadsBothSplitsOfTheFullSetFromWhereItIs()
    {
        foreach (var (split, n) in new[] { (DatasetSplit.Train, 60000L), (DatasetSplit.Test, 10000L) })
        {
            using var data = TestData.FashionMnistSplit(split);
            using var scope = NewDisposeScope();
            Assert.Equal(new long[] { n, 1, 28, 28 }, data.Images.shape);
            Assert.Equal(ScalarType.Byte, data.Images.dtype);
            Assert.Equal(new long[] { n }, data.Labels.shape);
            Assert.Equal(ScalarType.Int64, data.Labels.dtype);
            Assert.Equal(Enumerable.Repeat(n / 10, 10), data.Labels.bincount(null).data<long>().ToArray());
            Assert.Contains(Path.GetFullPath(FashionMnistFactAttribute.Folder), data.Source);
        }
    }

    [DebianFashionMnistFact]
    public void PublicLoadFindsDebiansFolderWhenNothingElseIsSet()
    {
        using var data = FashionMnist.Load(DatasetSplit.Test);
        Assert.Equal(10000, data.Count);
        Assert.Contains(TestData.DebianFolder, data.Source);
        Assert.Equal("Ankle boot", data.ClassNames[9]);
    }

    [Fact]
    public void DebiansFolderIsWhereTheLibraryLooks()
    {
        Assert.Equal("/usr/share/datasets", DatasetLocator.FromEnvironment().SystemRoot);
        Assert.Equal("/usr/share/datasets/fashion-mnist", TestData.DebianFolder);
    }

    [FashionMnistFact]
    public void NormalisationConstantsAreTheTrainingSetsMeanAndStd()
    {
        using var data = FashionMnist.Load(DatasetSplit.Train, FashionMnistFactAttribute.Folder);
        using var scope = NewDisposeScope();
        var x = data.Images.to(ScalarType.Float64) / 255.0;
        Assert.Equal(FashionMnist.Mean, x.mean().item<double>(), 1e-3);
        Assert.Equal(FashionMnist.Std, x.std().item<double>(), 1e-3);
    }

    [FashionMnistFact]
    public void TheFullSetsFilesHaveTheDigestsADownloadMustMatch()
    {
        Assert.Equal(4, FashionMnist.Spec.Checks.Count);
        foreach (var (name, check) in FashionMnist.Spec.Checks)
        {
            string path = DatasetLocator.FindPair(FashionMnistFactAttribute.Folder, name, name)!.Value.Images;
            DatasetLocator.Verify(path, File.ReadAllBytes(path), check); // throws on mismatch
        }
    }

    [Fact]
    public void ClassNamesAreTheOfficialOnes()
    {
        Assert.Equal(new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" }, FashionMnist.ClassNames);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), Mnist.ClassNames);
    }
}
