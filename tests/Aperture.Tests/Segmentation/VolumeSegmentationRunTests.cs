using Aperture.Core;
using Aperture.Data.Volumes;
using Aperture.Segmentation;
using Aperture.Segmentation.VNet;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Segmentation;

/// <summary>
/// A fact that trains V-Net with the default recipe and prints the figure the README quotes; it takes minutes, so it
/// runs only when <c>APERTURE_VNET_FIGURE</c> names an output folder:
/// <c>APERTURE_VNET_FIGURE=/tmp/vnet nice dotnet test -c Release --filter "FullyQualifiedName~DefaultRecipeFigure"</c>.
/// </summary>
public sealed class VNetFigureFactAttribute : FactAttribute
{
    public VNetFigureFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("APERTURE_VNET_FIGURE")))
            Skip = "set APERTURE_VNET_FIGURE to an output folder to train V-Net with the default recipe (a few minutes)";
    }
}

public class VolumeSegmentationRunTests
{
    private static VolumeOptions Small => new() { Size = 16, MinRadius = 3, MaxRadius = 6, MinShapes = 1, MaxShapes = 2 };

    [Fact]
    public void TinyVNetTrainsItsLossFallsAndTheRunFolderIsTheModel()
    {
        using var dir = new TempDir();
        var settings = new VolumeSegmentationSettings
        {
            OutputDirectory = dir.Path, Volumes = 10, Generator = Small, Seed = 3, Epochs = 4, LearningRate = 3e-3, Progress = ProgressMode.Quiet,
            TensorBoard = false, Examples = 2,
            Set = ["base_width=4", "depth=2", "convs_per_stage=[1,1,1]", "kernel_size=3", "patch_size=16", "batch_size=2", "patches_per_volume=3"],
        };
        var outcome = VolumeSegmentationRun.Execute(settings, CPU);
        var history = outcome.Result.History;
        Assert.Equal(4, history.Count);
        Assert.True(history[^1].Train["loss"] < history[0].Train["loss"], $"loss {history[0].Train["loss"]} → {history[^1].Train["loss"]}");
        var r = outcome.Results;
        Assert.Equal(3, r.PerClassDice.Count);
        Assert.InRange(r.MeanDice, 0, 1);
        Assert.True(File.Exists(Path.Combine(dir.Path, "results.json")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "slices.png")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "data", "imagesTr", "vol_000000.nii.gz")));
        // the run folder alone rebuilds the segmenter that was scored
        var again = VNetSegmenter.Load(dir.Path, CPU);
        Assert.Equal(4, again.Network.Options.BaseWidth);
        using var scope = NewDisposeScope();
        var volume = new VolumeGenerator(99, Small).Generate(0).ImageTensor();
        Assert.True(again.Probabilities(volume).allclose(outcome.Segmenter.Probabilities(volume), 1e-5, 1e-6));
        // a NIfTI file in, a label file out on the same grid and affine
        string input = dir.File("in.nii.gz"), output = dir.File("out.nii.gz");
        var affine = new double[,] { { -2, 0, 0, 10 }, { 0, 2, 0, -5 }, { 0, 0, 3, 1 }, { 0, 0, 0, 1 } };
        Aperture.Data.Formats.NiftiFile.Write(input, volume, affine);
        var voxels = again.SegmentFile(input, output);
        Assert.Equal(16 * 16 * 16, voxels.Sum());
        using var written = Aperture.Data.Formats.NiftiFile.Read(output);
        Assert.Equal(ScalarType.Byte, written.Data.dtype);
        Assert.True(written.Data.eq(again.Segment(volume)).all().item<bool>());
        Assert.Equal(affine[0, 0], written.Affine[0, 0]);
        Assert.Equal(affine[2, 3], written.Affine[2, 3]);
        // resuming for one more epoch reuses the generated volumes (same count, seed and options) and continues the history
        string index = Path.Combine(dir.Path, "data", VolumeDataset.IndexFile);
        var stamp = File.GetLastWriteTimeUtc(index);
        var resumed = VolumeSegmentationRun.Execute(settings with { Epochs = 5, Resume = true, Examples = 0 }, CPU);
        Assert.Equal(5, resumed.Result.History.Count);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(index));
        // a wrong option name lists the options
        var e = Assert.Throws<ArgumentException>(() => VolumeSegmentationRun.Execute(settings with { Set = ["widht=3"] }, CPU));
        Assert.Contains("base_width", e.Message);
    }

    [VNetFigureFact]
    public void DefaultRecipeFigure()
    {
        string folder = Environment.GetEnvironmentVariable("APERTURE_VNET_FIGURE")!;
        // on a shared machine one libtorch thread beats two spinning against other processes: APERTURE_THREADS=1
        if (int.TryParse(Environment.GetEnvironmentVariable("APERTURE_THREADS"), out int threads)) Aperture.Core.Torch.SetThreads(threads);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = VolumeSegmentationRun.Execute(new VolumeSegmentationSettings { OutputDirectory = folder, Progress = ProgressMode.Lines, Log = Console.Out }, CPU);
        File.WriteAllText(Path.Combine(folder, "figure.txt"),
            $"mean test Dice {outcome.Results.MeanDice:F3} pooled, {outcome.Results.PerVolumeDice:F3} per volume ({string.Join(", ", outcome.Results.PerClassDice.Select(c => $"{c.Class} {c.Dice:F3}"))}); " +
            $"threads {get_num_threads()}, train {outcome.Results.TrainSeconds:F0} s, whole run {clock.Elapsed.TotalSeconds:F0} s, {outcome.Results.MsPerVolume:F0} ms/volume\n");
        Assert.True(outcome.Results.MeanDice >= 0.9, $"mean Dice {outcome.Results.MeanDice}");
    }
}
