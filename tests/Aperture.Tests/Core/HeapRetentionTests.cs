using Aperture.Core;

namespace Aperture.Tests.Core;

/// <summary>
/// The settings are taken. Their effect is on the main arena, the one a CLI's main thread allocates from: a step of
/// 12 tensors of 2–8 MiB, 20 times, faulted 2,100 pages with them and 17,500 without (a throw-away program, one run each).
/// Test threads allocate from per-thread arenas, whose wholly free heaps glibc unmaps whatever the thresholds, so a test
/// cannot count the difference; the README gives the pre-training's A/B.
/// </summary>
public class HeapRetentionTests
{
    [Fact]
    public void GlibcTakesTheThresholds()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(HeapRetention.Applied, "mallopt did not take the thresholds (the test host sets none of glibc's malloc variables)");
    }
}
