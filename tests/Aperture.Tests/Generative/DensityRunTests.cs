using Aperture.Core;
using Aperture.Data;
using Aperture.Detection;
using Aperture.Generative;
using Aperture.Tests.Data;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

public class DensityRunTests
{
    private static readonly Dictionary<string, string[]> Tiny = new()
    {
        ["kde"] = ["selection_examples=50", "grid_count=4"],
        ["ppca"] = ["components=10"],
        ["density-net"] = ["train_samples=64", "eval_samples=200", "hidden=32"],
        ["vae"] = ["eval_samples=8", "hidden=32", "latent=4"],
    };

    private static DensityData Data(DensityDataKind kind)
    {
        using var train = TestData.FashionMnistSplit(DatasetSplit.Train);
        using var test = TestData.FashionMnistSplit(DatasetSplit.Test);
        return DensityData.From(train, test, kind, 3, validation: 200, limit: 600, testLimit: 40);
    }

    [Fact]
    public void EveryDensityModelFitsAndItsRunFolderIsTheModelThatWasScored()
    {
        using var data = Data(DensityDataKind.Dequantised);
        using var dir = new TempDir();
        foreach (var method in DensityModels.All)
        {
            string folder = Path.Combine(dir.Path, method.Name);
            var settings = new DensitySettings
            {
                Model = method.Name, OutputDirectory = folder, Budget = RunBudget.Quick, Epochs = 1, Assignments = Tiny[method.Name],
                Progress = ProgressMode.Quiet, TensorBoard = false,
            };
            var (fitted, results) = DensityRun.Execute(settings, CPU, data);
            Assert.True(double.IsFinite(results.TestLogLikelihood), $"{method.Name}: {results.TestLogLikelihood}");
            Assert.True(File.Exists(results.Figures.Samples));
            var (loaded, card) = DensityModels.Load(folder, CPU);
            Assert.Equal(method.Name, card.Method);
            using var again = loaded.LogLikelihood(data.Test);
            Assert.Equal(results.TestLogLikelihood, again.mean().ToDouble(), 1e-6);
            fitted.Model.Dispose();
            loaded.Dispose();
        }
    }

    [Fact]
    public void DequantisedExamplesStayInTheirPixelBinAndBinarisedOnesAreBits()
    {
        using var scope = NewDisposeScope();
        using var items = TestData.FashionMnistTestItems(20);
        var v = items.Images.reshape(20, -1).to_type(ScalarType.Float32);
        var y = DensityData.Prepare(items.Images, DensityDataKind.Dequantised, 4);
        Assert.True(y.mul(256).floor().eq(v).all().item<bool>(), "(v + u) / 256 must fall in [v/256, (v+1)/256)");
        Assert.True(y.ge(0).all().item<bool>() && y.lt(1).all().item<bool>());
        Assert.True(y.eq(DensityData.Prepare(items.Images, DensityDataKind.Dequantised, 4)).all().item<bool>(), "the same seed gives the same noise");
        var b = DensityData.Prepare(items.Images, DensityDataKind.Binarised, 4);
        Assert.True(b.eq(0).logical_or(b.eq(1)).all().item<bool>());
        Assert.True(b.where(v.eq(0), zeros_like(b)).eq(0).all().item<bool>(), "black pixels are never on");
        Assert.True(b.where(v.eq(255), ones_like(b)).eq(1).all().item<bool>(), "white pixels are always on");
    }

    [Fact]
    public void BitsPerDimensionOfAUniformDensityIsEightBits()
    {
        // The uniform density on [0, 1)^D has log p = 0: each 8-bit pixel then costs exactly 8 bits.
        Assert.Equal(8.0, Likelihood.BitsPerDimension(0, 784, DensityDataKind.Dequantised), 12);
        // Fair coins on binary pixels: one bit each.
        Assert.Equal(1.0, Likelihood.BitsPerDimension(-784 * Math.Log(2), 784, DensityDataKind.Binarised), 12);
    }

    [Fact]
    public void AurocCountsPairsAndTies()
    {
        Assert.Equal(1.0, Likelihood.Auroc([3, 4], [1, 2]));
        Assert.Equal(0.0, Likelihood.Auroc([1, 2], [3, 4]));
        Assert.Equal(0.5, Likelihood.Auroc([1, 1], [1, 1]));
        Assert.Equal(0.75, Likelihood.Auroc([2, 4], [1, 3]));
    }

    [Fact]
    public void WrongOptionsAndWrongModelsAreRefusedByName()
    {
        var settings = new DensitySettings { Model = "ppca", OutputDirectory = "x", Assignments = ["componets=3"] };
        Assert.Contains("components", Assert.Throws<ArgumentException>(() => settings.Recipe()).Message);
        Assert.Contains("kde", Assert.Throws<ArgumentException>(() => DensityModels.Find("gan")).Message);
        var bad = settings with { Assignments = ["components=784"] };
        Assert.Contains("components", Assert.Throws<ArgumentException>(() => bad.Recipe()).Message);
    }
}
