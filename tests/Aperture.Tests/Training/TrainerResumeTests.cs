using Aperture.Training;

namespace Aperture.Tests.Training;

/// <summary>libtorch's CPU generator is process-wide; these tests need nobody else drawing from it meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalRandomCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "torch global random generator";
}

[Collection(TorchGlobalRandomCollection.Name)]
public class TrainerResumeTests
{
    [Fact]
    public void ResumeAfterKillMatchesAnUninterruptedRun()
    {
        using var data = new ToyClassification();
        using var init = ToyClassification.Model(dropout: 0.2);

        using var whole = ToyClassification.Model(init, dropout: 0.2);
        var full = TrainerTests.Run(data, whole, TrainerTests.Options(ToyClassification.TempDir(), 4));
        Assert.True(full.Succeeded, full.Message);

        string dir = ToyClassification.TempDir();
        using (var first = ToyClassification.Model(init, dropout: 0.2))
            Assert.True(TrainerTests.Run(data, first, TrainerTests.Options(dir, 2)).Succeeded);
        // "Kill": everything in memory is gone; a new process builds a differently initialised model and resumes.
        using var second = ToyClassification.Model(dropout: 0.2);
        var resumed = TrainerTests.Run(data, second, TrainerTests.Options(dir, 4) with { Resume = true });

        Assert.True(resumed.Succeeded, resumed.Message);
        Assert.Equal(Enumerable.Range(1, 4), resumed.History.Select(h => h.Epoch));
        Assert.Equal(full.History.Select(h => h.LearningRates["optimizer"]), resumed.History.Select(h => h.LearningRates["optimizer"]));
        Assert.Equal(full.History.Select(h => h.Train["loss"]), resumed.History.Select(h => h.Train["loss"]));
        var a = ToyClassification.Weights(whole);
        var b = ToyClassification.Weights(second);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-6);
    }

    [Fact]
    public void ResumeRemovesATemporaryFileAKillLeftInTheCheckpointsFolder()
    {
        using var data = new ToyClassification();
        string dir = ToyClassification.TempDir();
        using (var first = ToyClassification.Model())
            Assert.True(TrainerTests.Run(data, first, TrainerTests.Options(dir, 1)).Succeeded);
        // A kill during the write of best.ckpt by a process that is gone (no process has pid int.MaxValue).
        string stale = Path.Combine(dir, "checkpoints", $".best.ckpt.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "half a checkpoint");
        using var second = ToyClassification.Model();
        Assert.True(TrainerTests.Run(data, second, TrainerTests.Options(dir, 2) with { Resume = true }).Succeeded);
        Assert.False(File.Exists(stale));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "checkpoints"), "*.tmp"));
    }
}
