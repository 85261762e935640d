namespace Aperture.Training;

/// <summary>The per-epoch learning-rate factor of <see cref="TrainingOptions"/>, in closed form so that a resumed run
/// lands on the same rate.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Returns f(e), the factor multiplying the base learning rate during epoch index <c>e</c> (0-based):
    /// a linear warm-up <c>(e+1)/W</c> for the first W epochs, then, with <c>t = e - W</c>: constant 1;
    /// step <c>gamma^(t / stepSize)</c>; cosine <c>(1 + cos(pi t / T)) / 2</c> with <c>T = epochs - W</c>.
    /// </summary>
    public static Func<int, double> Factor(TrainingOptions options)
    {
        int warmup = options.WarmupEpochs;
        int span = Math.Max(1, options.Epochs - warmup);
        var (kind, stepSize, gamma) = (options.Schedule, options.StepSize, options.Gamma);
        return e =>
        {
            if (e < warmup) return (e + 1) / (double)warmup;
            int t = e - warmup;
            return kind switch
            {
                ScheduleKind.Step => Math.Pow(gamma, t / stepSize),
                ScheduleKind.Cosine => 0.5 * (1 + Math.Cos(Math.PI * Math.Min(t, span) / span)),
                _ => 1.0,
            };
        };
    }
}
