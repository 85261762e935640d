using Aperture.Segmentation;
using Aperture.Segmentation.VNet;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Tests.Segmentation;

public class VNetTests
{
    private static VNetOptions Tiny => new() { BaseWidth = 4, Depth = 2, ConvsPerStage = [1, 2, 2], KernelSize = 3, PatchSize = 8 };

    [Fact]
    public void ShapesWidthsAndTheStrideMultiple()
    {
        using var scope = NewDisposeScope();
        using var net = new VNetNetwork(Tiny, 1, 3);
        Assert.Equal(4, net.InputMultiple);
        Assert.Equal(new[] { 4, 8, 16 }, Tiny.Widths());
        var y = net.call(randn(new long[] { 2, 1, 8, 12, 16 }));
        Assert.Equal(new long[] { 2, 3, 8, 12, 16 }, y.shape);
        // two input channels do not divide 4? they do (repeat); three do not (1x1x1 projection)
        using var three = new VNetNetwork(Tiny, 3, 2);
        Assert.Equal(new long[] { 1, 2, 4, 4, 4 }, three.call(randn(new long[] { 1, 3, 4, 4, 4 })).shape);
        var e = Assert.Throws<ArgumentException>(() => net.call(randn(new long[] { 1, 1, 8, 8, 10 })));
        Assert.Contains("multiple of 2^depth = 4", e.Message);
    }

    [Fact]
    public void ThePapersArchitectureByDefault()
    {
        var o = new VNetOptions();
        Assert.Equal(new[] { 16, 32, 64, 128, 256 }, o.Widths());
        Assert.Equal(new[] { 1, 2, 3, 3, 3 }, o.ConvsPerStage);
        Assert.Equal(5, o.KernelSize);
        Assert.Equal(VolumeNormalization.None, o.Normalization);
        // every conv of the stages is 5x5x5, down-sampling 2x2x2 stride 2, up-sampling transposed 2x2x2 stride 2
        using var net = new VNetNetwork(o with { PatchSize = 16 }, 1, 2);
        var convs = net.modules().OfType<TorchSharp.Modules.Conv3d>().ToList();
        Assert.Equal(1 + 2 + 3 + 3 + 3 + 3 + 3 + 2 + 1, convs.Count(c => c.weight!.shape[2] == 5));
        Assert.Equal(4, convs.Count(c => c.weight!.shape[2] == 2));
        Assert.Equal(4, net.modules().OfType<TorchSharp.Modules.ConvTranspose3d>().Count());
        Assert.NotEmpty(net.modules().OfType<TorchSharp.Modules.PReLU>());
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        Assert.Contains("convs_per_stage", Assert.Throws<ArgumentException>(() => (Tiny with { Depth = 3 }).Validate()).Message);
        Assert.Contains("kernel_size", Assert.Throws<ArgumentException>(() => (Tiny with { KernelSize = 4 }).Validate()).Message);
        Assert.Contains("patch_size", Assert.Throws<ArgumentException>(() => (Tiny with { PatchSize = 10 }).Validate()).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => (Tiny with { Dropout = 1 }).Validate()).Message);
        var e = Assert.Throws<ArgumentException>(() => VolumeSegmentationRun.With(Tiny, ["depth=x"]));
        Assert.Contains("depth=x", e.Message);
        Assert.Contains(nameof(VNetOptions), e.Message);
        Assert.Equal(3, VolumeSegmentationRun.With(Tiny, ["depth=3", "convs_per_stage=[1,1,1,1]"]).Depth);
    }

    [Fact]
    public void TrainingPatchesAreCutFlippedAndPaddedConsistently()
    {
        using var scope = NewDisposeScope();
        // label = a function of position, image = the same values: any crop or flip must keep them equal
        var grid = arange(6 * 7 * 9).reshape(6, 7, 9);
        var volume = new TrainingVolume("v", grid.to_type(ScalarType.Float32).unsqueeze(0), grid.remainder(200).to_type(ScalarType.Byte));
        var options = Tiny with { PatchSize = 8, BatchSize = 3, PatchesPerVolume = 3 };
        var batches = VNetTraining.Batches([volume], options, seed: 1, epoch: 1).ToList();
        var batch = Assert.Single(batches);
        Assert.Equal(new long[] { 3, 1, 8, 8, 8 }, batch.Images.shape);
        Assert.Equal(new long[] { 3, 8, 8, 8 }, batch.Labels.shape);
        var img = batch.Images.squeeze(1);
        // padded voxels (the volume is 6x7 on two axes) carry background labels; real ones keep image == label
        var real = batch.Labels.ne(0);
        Assert.True(img.remainder(200).masked_select(real).eq(batch.Labels.masked_select(real).to_type(ScalarType.Float32)).all().item<bool>());
        // same seed and epoch, same batch; another epoch, another
        var again = VNetTraining.Batches([volume], options, 1, 1).Single();
        Assert.True(again.Images.eq(batch.Images).all().item<bool>());
    }

    [Fact]
    public void SlidingWindowTilesCoverAndEqualAVoxelwiseNetworkOnTheWholeVolume()
    {
        Assert.Equal(new long[] { 0, 16, 32, 38 }, VolumeSlidingWindow.Starts(70, 32, 0.5));
        Assert.Equal(new long[] { 0 }, VolumeSlidingWindow.Starts(20, 32, 0.5));
        Assert.Equal(new long[] { 0, 32 }, VolumeSlidingWindow.Starts(64, 32, 0));
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(4);
        using var conv = Conv3d(1, 3, 1);
        // a 1x1x1 network gives each voxel the same scores whatever tile it is seen in: blending must return exactly its softmax,
        // for a volume larger than the tile on one side, smaller on another, and not a multiple of anything
        var volume = randn(new long[] { 1, 21, 5, 13 });
        foreach (bool gaussian in new[] { true, false })
        {
            var probs = VolumeSlidingWindow.Probabilities(x => conv.call(x), volume, 8, 0.5, gaussian, 3, CPU);
            var direct = conv.call(volume.unsqueeze(0)).softmax(1).squeeze(0);
            Assert.Equal(new long[] { 3, 21, 5, 13 }, probs.shape);
            Assert.True(probs.allclose(direct, 1e-5, 1e-6), $"max diff {(probs - direct).abs().max().item<float>()}");
        }
        var w = VolumeSlidingWindow.Weights(8, true);
        Assert.Equal(1, w.max().item<float>(), 1e-5);
        Assert.True(w.allclose(w.flip(0)) && w.allclose(w.flip(2)));
        Assert.True(w[0, 0, 0].item<float>() < w[3, 3, 3].item<float>());
    }

    [Fact]
    public void HardDiceKnownValues()
    {
        using var scope = NewDisposeScope();
        var dice = DiceScore.PerClass(tensor(new long[] { 0, 1, 1, 2 }), tensor(new long[] { 0, 1, 2, 2 }), 4);
        Assert.Equal(1.0, dice[0], 12);
        Assert.Equal(2.0 / 3, dice[1], 12);
        Assert.Equal(2.0 / 3, dice[2], 12);
        Assert.True(double.IsNaN(dice[3]));
        Assert.Equal(7.0 / 9, DiceScore.MeanDefined(dice), 12);
    }
}
