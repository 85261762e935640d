using Aperture.Data;
using Aperture.Reports;
using Aperture.Segmentation;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Reports;

/// <summary>
/// The report's segmentation chapter on a handful of scenes: every segmenter gets its row, the FCN figure is drawn, and the
/// context study trains its front end / context module pairs on scenes without and with context.
/// </summary>
public class SegmentationChapterTests
{
    [Fact]
    public void EverySegmenterGetsARowAndTheFcnFigureIsDrawn()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var train = FashionMnist.Load(DatasetSplit.Train);
        using var test = FashionMnist.Load(DatasetSplit.Test);
        var report = new HtmlReport(dir.Path, "test");
        var rows = SegmentationChapter.Add(report, train, test, quick: true, seed: 1, CPU, TextWriter.Null, scenes: 20);
        Assert.Equal(Segmenters.Names, rows.Select(r => r.Method));
        Assert.True(File.Exists(Path.Combine(dir.Path, "segmentation", "fcn-32s-16s-8s.png")));
        // Staged methods started from the chapter's own run of their previous stage, not a fresh one.
        Assert.Equal(Path.GetFullPath(Path.Combine(dir.Path, "runs", "segment-fcn32s")), rows.Single(r => r.Method == "fcn16s").Results.StartedFrom);
        Assert.True(File.Exists(Path.Combine(dir.Path, "segmentation", "context-module.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "segmentation", "context-two-classes", "scenes.json")));
        string html = File.ReadAllText(report.Write());
        Assert.Contains("two classes per scene", html);
        Assert.Contains("VOC2011", html);
        Assert.Contains("boundary F1", html);
    }
}
