using System.Text.Json;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;
using Aperture.Segmentation;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

/// <summary>
/// The run behind <c>aperture train segment</c> and the report's chapter, for every registered segmenter: it trains, its
/// run folder alone rebuilds the network that was scored, and the results say what was measured.
/// </summary>
public class SegmentationRunTests
{
    public static TheoryData<string> Methods => new(Segmenters.Names);

    private static string Scenes(TempDir dir, int count = 20)
    {
        string scenes = dir.File("scenes");
        using (var items = FashionMnist.Load(DatasetSplit.Test))
            ScenesWriter.Write(scenes, items, count, 4, new SceneOptions { Width = 64, Height = 64, MaxItems = 2 }, new SceneSplits(0.6, 0.2, 0.2));
        return scenes;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void EverySegmenterTrainsAndItsRunFolderReloadsToTheSameOutputs(string name)
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var data = SegmentationData.Load(Scenes(dir), limitValidation: 4);
        string run = dir.File("run");
        using var outcome = SegmentationRun.Execute(new SegmentationSettings
        {
            Method = name, OutputDirectory = run, Seed = 1, Budget = RunBudget.Quick, Epochs = 1, Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 2,
        }, data, CPU);
        var r = outcome.Results;
        Assert.Equal((name, 1, data.Test.Count, 11), (r.Method, r.Epochs, r.TestImages, r.PerClassIoU.Count));
        foreach (double v in new[] { r.PixelAccuracy, r.MeanAccuracy, r.MeanIoU, r.FrequencyWeightedIoU, r.BoundaryF1 }) Assert.InRange(v, 0, 1);
        Assert.True(r.ReceptiveField > 1);
        Assert.All(r.Figures, f => Assert.True(new FileInfo(f).Length > 1000, f));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json"))))
            Assert.Equal(r.MeanIoU, json.RootElement.GetProperty("mean_io_u").GetDouble());
        var (loaded, card, _) = Segmenters.Load(run, CPU);
        Assert.Equal((ModelFamily.Segmenter, name), (card.Family, card.Method));
        var image = data.Test[0];
        using var a = new SegmentationInference().Scores(outcome.Network, image.Image, card.Mean, card.Std);
        using var b = new SegmentationInference().Scores(loaded, image.Image, card.Mean, card.Std);
        // Equal to rounding, not bit for bit: a Fast R-CNN test running in parallel may switch this process's convolutions
        // between oneDNN and libtorch's own kernels (OneDnnCheck.NativeKernelsWhereCapped), which round differently.
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6), "the reloaded run's scores differ from the trained network's");
        using var labels = b.argmax(0).to_type(ScalarType.Byte);
        Assert.Equal(outcome.Predictions[0].data<byte>().ToArray(), labels.data<byte>().ToArray());
        loaded.Dispose();
        Assert.Contains("aperture segment", Assert.Throws<InvalidDataException>(() => Aperture.Detection.Detectors.Load(run, CPU)).Message);
    }

    [Fact]
    public void AStagedMethodStartsOnlyFromTheStageItNames()
    {
        set_num_threads(2);
        using var dir = new TempDir();
        using var data = SegmentationData.Load(Scenes(dir, 10));
        var settings = new SegmentationSettings
        {
            Method = "unet", OutputDirectory = dir.File("unet"), Seed = 1, Budget = RunBudget.Quick, Progress = ProgressMode.Quiet, TensorBoard = false, Examples = 1,
        };
        SegmentationRun.Execute(settings, data, CPU).Dispose();
        var fcn16s = Segmenters.Find("fcn16s");
        Assert.Equal("fcn32s", fcn16s.StartsFrom);
        var e = Assert.Throws<ArgumentException>(() => SegmentationRun.Execute(settings with { Method = "fcn16s", OutputDirectory = dir.File("fcn16s"), From = dir.File("unet") }, data, CPU));
        Assert.Contains("holds a unet", e.Message);
    }

    [Fact]
    public void ABadMaskIsNamed()
    {
        using var dir = new TempDir();
        string scenes = Scenes(dir, 10);
        string mask = Directory.GetFiles(Path.Combine(scenes, "SegmentationClass"), "*.png").Order().First();
        Aperture.Data.Formats.LabelMask.Write(mask, new byte[32 * 16], 32, 16);
        var e = Assert.Throws<InvalidDataException>(() => SegmentationData.Load(scenes));
        Assert.Contains(mask, e.Message);
        Assert.Contains("32x16", e.Message);
        var wrong = new byte[64 * 64];
        wrong[5] = 42;
        Aperture.Data.Formats.LabelMask.Write(mask, wrong, 64, 64);
        e = Assert.Throws<InvalidDataException>(() => SegmentationData.Load(scenes));
        Assert.Contains(mask, e.Message);
        Assert.Contains("label 42", e.Message);
    }

    [Fact]
    public void CocoPolygonsAndRleLoadAsTheSameMasks()
    {
        using var dir = new TempDir();
        string scenes = Scenes(dir, 10);
        using var voc = SegmentationData.Load(scenes, Aperture.Data.Formats.DatasetFormat.Voc);
        using var coco = SegmentationData.Load(scenes, Aperture.Data.Formats.DatasetFormat.Coco);
        Assert.Equal(voc.Train.Count, coco.Train.Count);
        for (int i = 0; i < voc.Train.Count; i++)
            Assert.Equal(voc.Train[i].MaskBytes(), coco.Train[i].MaskBytes());
        Assert.Equal(voc.Mean, coco.Mean);
    }

    [Fact]
    public void BatchesMoveMasksWithTheirImages()
    {
        using var dir = new TempDir();
        using var data = SegmentationData.Load(Scenes(dir, 10));
        // Identity normalisation, so a batch's pixels can be compared with the masks' source images.
        foreach (var batch in SegmentationBatches.Epoch(data.Train, 3, 48, true, [0, 0, 0], [1, 1, 1], 7, 1))
            using (batch)
            {
                Assert.Equal(new long[] { batch.Size, 3, 48, 48 }, batch.Images.shape);
                Assert.Equal(new long[] { batch.Size, 48, 48 }, batch.Masks!.shape);
                // Every window is a crop (maybe mirrored) of one training image: find where, and compare its mask.
                for (int i = 0; i < batch.Size; i++)
                {
                    var pixels = (batch.Images[i] * 255).round().to_type(ScalarType.Byte);
                    bool found = false;
                    foreach (var im in data.Train)
                        foreach (bool mirror in new[] { false, true })
                        {
                            var src = mirror ? im.Image.flip(2) : im.Image;
                            var mask = mirror ? im.Mask.flip(1) : im.Mask;
                            for (int y = 0; y <= 16 && !found; y++)
                                for (int x = 0; x <= 16 && !found; x++)
                                    if (src[.., y..(y + 48), x..(x + 48)].eq(pixels).all().item<bool>())
                                    {
                                        Assert.True(mask[y..(y + 48), x..(x + 48)].to_type(ScalarType.Int64).eq(batch.Masks[i]).all().item<bool>());
                                        found = true;
                                    }
                        }
                    Assert.True(found, $"window {i} is no crop of a training image");
                }
            }
    }
}
