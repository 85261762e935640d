using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>What one epoch of GAN training looked like, for <see cref="GanHealth"/>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="DLoss">Mean discriminator loss.</param>
/// <param name="GLoss">Mean generator loss.</param>
/// <param name="DReal">Mean D(x) on real images.</param>
/// <param name="DFake">Mean D(G(z)) on generated images.</param>
/// <param name="Diversity">Mean pairwise distance of the epoch's fixed-noise samples divided by that of a fixed set
/// of real images (<see cref="GanHealth.Diversity"/>): about 1 for a healthy generator, near 0 when every sample is alike.</param>
public sealed record GanEpochStats(int Epoch, double DLoss, double GLoss, double DReal, double DFake, double Diversity);

/// <summary>The health of a GAN run.</summary>
public enum GanHealthStatus
{
    /// <summary>Neither failure seen.</summary>
    Healthy,

    /// <summary>The discriminator wins outright: it rejects every sample and the generator's loss has exploded.</summary>
    Diverged,

    /// <summary>Mode collapse: the samples have become nearly identical.</summary>
    Collapsed,
}

/// <summary>A verdict on a GAN run.</summary>
/// <param name="Status">Healthy, diverged or collapsed.</param>
/// <param name="Epoch">The epoch the failure was detected at (null when healthy).</param>
/// <param name="Message">One plain sentence, printed by the trainer and written to <c>results.json</c>.</param>
public sealed record GanHealthVerdict(GanHealthStatus Status, int? Epoch, string Message);

/// <summary>
/// Detects the two ways a GAN run fails, from its per-epoch statistics, so that a failed run is said, not hidden:
/// <list type="bullet">
/// <item><b>Divergence</b> (the discriminator wins): for <see cref="Patience"/> consecutive epochs the mean D(G(z)) is
/// below <see cref="RejectAll"/> = 0.01 — the discriminator rejects every sample, so the generator's non-saturating
/// loss is above −log 0.01 ≈ 4.6 and its gradient carries no information about the data (Arjovsky &amp; Bottou 2017).
/// A healthy DCGAN keeps D(G(z)) around 0.2–0.5.</item>
/// <item><b>Mode collapse</b>: for <see cref="Patience"/> consecutive epochs the fixed-noise samples' mean pairwise
/// distance is below <see cref="CollapseRatio"/> = 0.25 of real images' (<see cref="Diversity"/>): the generator maps
/// different z to nearly the same image. Fashion-MNIST's own images are about as far apart within a class as across
/// classes' mean, so a quarter of that is far below any working generator.</item>
/// </list>
/// Thresholds are deliberately loose: a run this detector flags has failed, whatever its losses look like.
/// </summary>
public static class GanHealth
{
    /// <summary>Mean D(G(z)) below which the discriminator is said to reject every sample.</summary>
    public const double RejectAll = 0.01;

    /// <summary>Diversity ratio below which the samples are said to have collapsed.</summary>
    public const double CollapseRatio = 0.25;

    /// <summary>Consecutive epochs a condition must hold.</summary>
    public const int Patience = 2;

    /// <summary>Judges a run from its epochs so far (in order).</summary>
    /// <returns>The first failure found, at the earliest epoch it is established; healthy otherwise.</returns>
    public static GanHealthVerdict Check(IReadOnlyList<GanEpochStats> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        int rejected = 0, alike = 0;
        foreach (var e in epochs)
        {
            rejected = e.DFake < RejectAll ? rejected + 1 : 0;
            alike = e.Diversity < CollapseRatio ? alike + 1 : 0;
            if (rejected >= Patience)
                return new(GanHealthStatus.Diverged, e.Epoch,
                    $"GAN training DIVERGED at epoch {e.Epoch}: for {rejected} epochs the discriminator rejected every sample " +
                    $"(mean D(G(z)) = {e.DFake:G3} < {RejectAll}; d_loss {e.DLoss:F3}, g_loss {e.GLoss:F2}), so the generator learns nothing; " +
                    "the samples will not improve — restart with another --seed, label smoothing (--set label_smoothing=0.1) or a lower learning rate");
            if (alike >= Patience)
                return new(GanHealthStatus.Collapsed, e.Epoch,
                    $"GAN training COLLAPSED at epoch {e.Epoch}: for {alike} epochs the samples were nearly identical " +
                    $"(pairwise distance {e.Diversity:P0} of real images', below {CollapseRatio:P0}; d_loss {e.DLoss:F3}, g_loss {e.GLoss:F2}); " +
                    "restart with another --seed or a lower learning rate");
        }
        return new(GanHealthStatus.Healthy, null, epochs.Count == 0 ? "no epoch trained yet" :
            $"no divergence or mode collapse seen in {epochs.Count} epoch{(epochs.Count == 1 ? "" : "s")} (diversity {epochs[^1].Diversity:P0} of real images')");
    }

    /// <summary>Mean Euclidean distance between all pairs of images, divided by √(pixels) (an RMS pixel difference).</summary>
    /// <param name="images">At least two images <c>[N, C, H, W]</c> (any float range; compare like with like).</param>
    /// <returns>0 when all images are identical.</returns>
    public static double Diversity(Tensor images)
    {
        if (images.dim() < 2 || images.shape[0] < 2) throw new ArgumentException($"diversity needs at least 2 images, got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var x = images.detach().cpu().to(ScalarType.Float64).flatten(1);
        long n = x.shape[0];
        var d = cdist(x, x);
        return d.sum().item<double>() / (n * (n - 1)) / Math.Sqrt(x.shape[1]);
    }
}
