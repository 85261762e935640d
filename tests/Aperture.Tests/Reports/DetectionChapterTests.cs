using Aperture.Data;
using Aperture.Data.Formats;
using Aperture.Detection;
using Aperture.Reports;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Reports;

/// <summary>The report's detection chapter on a handful of scenes: both stages run, every detector gets its row from the
/// pre-trained body, Fast R-CNN from scratch gets the extra row the gain table compares against, and the pre-trained
/// detectors are scored again on harder held-out scenes (smaller items, more of them).</summary>
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
        Assert.Contains("harder scenes", html);
        var harder = DetectionImage.Load(DetectionDataset.Load(Path.Combine(dir.Path, "detection", "scenes-harder"), "test"));
        Assert.Equal(rows[0].Score.Images, harder.Count);
        foreach (var image in harder)
        {
            using var sides = (image.Boxes[.., 2..] - image.Boxes[.., ..2]).max();
            Assert.True(sides.item<float>() <= 28 * DetectionChapter.HarderScenes.MaxScale + 1, $"{image.Id}: an item larger than the harder scenes draw");
            image.Dispose();
        }
    }
}
