using Aperture.Data;
using Aperture.Detection;
using Aperture.Reports;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Reports;

/// <summary>The report's detection chapter on a handful of scenes: both stages run, every detector gets its row from the
/// pre-trained body, and Fast R-CNN from scratch gets the extra row the gain table compares against.</summary>
public class DetectionChapterTests
{
    [Fact]
    public void PreTrainsOnceThenFineTunesEveryDetectorAndComparesWithScratch()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var train = FashionMnist.Load(DatasetSplit.Train);
        using var test = FashionMnist.Load(DatasetSplit.Test);
        var report = new HtmlReport(dir.Path, "test");
        var rows = DetectionChapter.Add(report, train, test, quick: true, seed: 1, CPU, TextWriter.Null, scenes: 16);
        Assert.Equal(Detectors.Names.Append(DetectionChapter.ScratchRow), rows.Select(r => r.Method));
        string pretrain = Path.Combine(dir.Path, "runs", "backbone-fc");
        Assert.True(File.Exists(Path.Combine(pretrain, "results.json")));
        foreach (var method in Detectors.Names)
        {
            string json = File.ReadAllText(Path.Combine(dir.Path, "runs", method, "results.json"));
            Assert.Contains("\"pretraining\": {", json);
        }
        Assert.Contains("\"pretraining\": null", File.ReadAllText(Path.Combine(dir.Path, "runs", "fast-rcnn-scratch", "results.json")));
        string html = File.ReadAllText(report.Write());
        Assert.Contains("supervised pre-training", html);
        Assert.Contains("from scratch", html);
    }
}
