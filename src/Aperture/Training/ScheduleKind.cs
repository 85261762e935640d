namespace Aperture.Training;

/// <summary>Per-epoch learning-rate schedules (see <see cref="LearningRateSchedule"/>).</summary>
public enum ScheduleKind
{
    /// <summary>The base learning rate throughout.</summary>
    Constant,
    /// <summary>Multiplied by gamma every step-size epochs.</summary>
    Step,
    /// <summary>Cosine annealing from the base rate towards zero over the (post-warm-up) epochs.</summary>
    Cosine,
}
