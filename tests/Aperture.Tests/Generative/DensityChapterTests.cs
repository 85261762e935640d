using Aperture.Data;
using Aperture.Reports;
using Aperture.Tests.Data;
using Xunit;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative;

public class DensityChapterTests
{
    [Fact]
    public void QuickChapterFitsEveryRowAndWritesItsFigures()
    {
        using var dir = new TempDir();
        using var train = TestData.FashionMnistSplit(DatasetSplit.Train);
        using var test = TestData.FashionMnistSplit(DatasetSplit.Test);
        var report = new HtmlReport(dir.Path, "density");
        var table = DensityChapter.Add(report, train, test, quick: true, seed: 1, CPU, TextWriter.Null);
        string html = File.ReadAllText(report.Write());
        Assert.Equal(Aperture.Generative.DensityComparison.Entries.Count, table.Rows.Count);
        Assert.All(table.Rows, r => Assert.True(double.IsFinite(r.Results.TestLogLikelihood), r.Label));
        foreach (string figure in new[] { "kde-curse.png", "density-net-spread.png", "vae-manifold.png", "vae-interpolations.png" })
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "density", figure)), figure);
            Assert.Contains(figure, html);
        }
        Assert.Contains("Outliers by likelihood", html);
        Assert.Contains("-86.8", html); // the paper's VAE figure beside ours
    }
}
