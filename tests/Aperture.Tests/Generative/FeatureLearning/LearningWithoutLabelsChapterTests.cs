using Aperture.Data;
using Aperture.Reports;
using Aperture.Tests.Data;
using Aperture.Tests.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.FeatureLearning;

[Collection(TorchGlobalRandomCollection.Name)]
public class LearningWithoutLabelsChapterTests
{
    [Fact]
    public void QuickChapterTrainsEveryLearnerAndWritesItsFiguresAndTables()
    {
        using var dir = new TempDir();
        using var train = TestData.FashionMnistSplit(DatasetSplit.Train);
        using var test = TestData.FashionMnistSplit(DatasetSplit.Test);
        var report = new HtmlReport(dir.Path, "unsupervised");
        LearningWithoutLabelsChapter.Add(report, train, test, quick: true, seed: 1, CPU, TextWriter.Null);
        string html = File.ReadAllText(report.Write());
        foreach (string figure in new[] { "dae/reconstructions.png", "context-encoder/inpainting.png", "dcgan/samples.png" })
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, "unsupervised", figure)), figure);
            Assert.Contains(figure, html);
        }
        foreach (string text in new[] { "nearest neighbour", "mean image", "PSNR", "dae frozen", "context-encoder fine-tuned", "vs scratch" })
            Assert.Contains(text, html);
    }
}
