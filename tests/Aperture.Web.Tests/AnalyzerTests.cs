using System.Text.Json;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Segmentation;
using static TorchSharp.torch;

namespace Aperture.Web.Tests;

/// <summary>
/// The detector and segmenter paths of the page (the browser tests use a classifier): a sliding-window detector and a
/// U-Net trained for one epoch on a few small scenes, found in a runs folder and run through the analyzer.
/// </summary>
public sealed class AnalyzerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aperture-analyzer-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task DetectorsAndSegmentersFoundInTheRunsFolderDrawTheirResults()
    {
        Torch.SetThreads(1);
        string scenes = Path.Combine(_dir, "scenes"), runs = Path.Combine(_dir, "runs");
        using (var items = FashionMnist.Load(DatasetSplit.Test))
            ScenesWriter.Write(scenes, items, 16, 4, new SceneOptions { Width = 64, Height = 64, MaxItems = 2 }, new SceneSplits(0.6, 0.2, 0.2));
        using (var data = DetectionData.Load(scenes, limitValidation: 2))
            DetectionRun.Execute(new DetectionSettings
            {
                Method = "sliding", OutputDirectory = Path.Combine(runs, "sliding"), Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Set = ["hidden_size=16"],
                Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
            }, data, CPU).Score.DisposeDetections();
        using (var data = SegmentationData.Load(scenes, limitValidation: 2))
        using (SegmentationRun.Execute(new SegmentationSettings
               {
                   Method = "unet", OutputDirectory = Path.Combine(runs, "unet"), Seed = 1, Budget = RunBudget.Quick, Epochs = 1,
                   Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
               }, data, CPU)) { }

        var found = new RunCatalog([runs]).Scan();
        Assert.Equal(["runs/sliding", "runs/unet"], found.Select(r => r.Id));
        Assert.Equal([Analysis.Detect], found[0].Analyses);
        Assert.Equal([Analysis.Segment], found[1].Analyses);

        using var analyzer = new Analyzer(CPU, 0);
        string image = Directory.GetFiles(Path.Combine(scenes, "JPEGImages")).Order().First();
        foreach (var (run, analysis, picture) in new[] { (found[0], Analysis.Detect, "-detections.png"), (found[1], Analysis.Segment, "-overlay.png") })
        {
            string folder = Path.Combine(_dir, "request-" + Analyses.Name(analysis));
            Directory.CreateDirectory(folder);
            string copy = Path.Combine(folder, Path.GetFileName(image));
            File.Copy(image, copy);
            var outcome = await analyzer.RunAsync(new AnalysisRequest(analysis, run), copy, "scene.png", folder);
            Assert.Equal(Path.GetFileNameWithoutExtension(image) + picture, outcome.Picture);
            Assert.True(new FileInfo(Path.Combine(folder, outcome.Picture!)).Length > 500);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, outcome.Json)));
            Assert.Equal(Path.GetFileName(image), json.RootElement.GetProperty("image").GetString());
            if (analysis == Analysis.Segment)
            {
                Assert.InRange(outcome.Items.Sum(i => i.Score!.Value), 0.999, 1.001);
                Assert.True(File.Exists(Path.Combine(folder, Path.GetFileNameWithoutExtension(image) + "-mask.png")));
            }
        }
        // A detector cannot show a CAM: one clear line before anything runs.
        var e = await Assert.ThrowsAsync<ArgumentException>(() => analyzer.RunAsync(new AnalysisRequest(Analysis.Cam, found[0]), image, "scene.png", _dir));
        Assert.Equal("runs/sliding is a detector (sliding); it can show detect, not cam", e.Message);
    }
}
