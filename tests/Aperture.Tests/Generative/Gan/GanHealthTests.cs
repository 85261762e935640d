using Aperture.Data;
using Aperture.Generative.Gan;
using Aperture.Tests.Training;
using Aperture.Training;
using static TorchSharp.torch;

namespace Aperture.Tests.Generative.Gan;

public class GanHealthTests
{
    private static GanEpochStats Ok(int epoch) => new(epoch, 1.2, 0.9, 0.6, 0.35, 0.95);

    [Fact]
    public void AHealthyRunIsHealthy()
    {
        var v = GanHealth.Check([Ok(1), Ok(2), Ok(3)]);
        Assert.Equal(GanHealthStatus.Healthy, v.Status);
        Assert.Null(v.Epoch);
    }

    [Fact]
    public void TheDiscriminatorWinningForTwoEpochsIsDivergence()
    {
        var won = (int e) => new GanEpochStats(e, 0.002, 9.5, 0.999, 0.0005, 0.9);
        Assert.Equal(GanHealthStatus.Healthy, GanHealth.Check([Ok(1), won(2), Ok(3), won(4)]).Status); // one bad epoch at a time is not
        var v = GanHealth.Check([Ok(1), Ok(2), won(3), won(4), won(5)]);
        Assert.Equal(GanHealthStatus.Diverged, v.Status);
        Assert.Equal(4, v.Epoch);
        Assert.Contains("DIVERGED", v.Message);
    }

    [Fact]
    public void SamplesAlikeForTwoEpochsIsCollapse()
    {
        var alike = (int e) => new GanEpochStats(e, 0.9, 1.5, 0.7, 0.3, 0.05);
        var v = GanHealth.Check([Ok(1), alike(2), alike(3)]);
        Assert.Equal(GanHealthStatus.Collapsed, v.Status);
        Assert.Equal(3, v.Epoch);
        Assert.Contains("COLLAPSED", v.Message);
    }

    [Fact]
    public void DiversityIsZeroForIdenticalImagesAndTheRmsDistanceOtherwise()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0, GanHealth.Diversity(ones(6, 1, 4, 4)), 1e-9);
        // Two images differing by 1 in every pixel: RMS distance 1.
        Assert.Equal(1, GanHealth.Diversity(stack([zeros(1, 4, 4), ones(1, 4, 4)])), 1e-9);
        Assert.Throws<ArgumentException>(() => GanHealth.Diversity(ones(1, 1, 4, 4)));
    }

    [Fact]
    public void AGeneratorWithConstantOutputIsReportedCollapsedByTheMonitor()
    {
        using var scope = NewDisposeScope();
        var options = new GanOptions { LatentSize = 8, Width = 4, EmaDecay = 0 };
        var g = new DcganGenerator(options, 10);
        using (no_grad())
            foreach (var p in g.parameters()) p.zero_(); // every z gives the same (grey) image
        var d = new DcganDiscriminator(options, 10);
        var training = new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 2e-4 };
        var task = new GanTask(g, d, null, options, training);
        var real = FashionMnist.LoadSample(DatasetSplit.Test);
        using var disposeReal = real;
        var log = new StringWriter();
        var monitor = new GanMonitor(task, real.ClassNames, real.Images[..64].to(ScalarType.Float32).div(255), ToyClassification.TempDir(), 1, log);
        var first = monitor.EndEpoch(1);
        Assert.Equal(0, first.Diversity, 1e-6);
        Assert.Equal(GanHealthStatus.Healthy, monitor.Verdict.Status); // not yet: it must last two epochs
        monitor.EndEpoch(2);
        Assert.Equal(GanHealthStatus.Collapsed, monitor.Verdict.Status);
        Assert.Contains("WARNING: GAN training COLLAPSED at epoch 2", log.ToString());
        Assert.True(File.Exists(monitor.GridPath(2)));
        Assert.Equal(2, File.ReadAllLines(monitor.HealthPath).Length);
    }
}
