namespace Aperture.Training;

/// <summary>The outcome of <see cref="Trainer{TBatch}.Fit"/>; the CLI prints <see cref="Message"/> and exits with <see cref="ExitCode"/>.</summary>
/// <param name="Status">Completed or diverged.</param>
/// <param name="Message">One human-readable sentence: what finished, or where and how training diverged.</param>
/// <param name="EpochsCompleted">Number of the last epoch whose checkpoint was written (including resumed ones).</param>
/// <param name="History">Every completed epoch, including those before a resume.</param>
/// <param name="LastCheckpoint">Path of <c>last.ckpt</c>, or null if none was written.</param>
/// <param name="BestCheckpoint">Path of <c>best.ckpt</c>, or null if none was written.</param>
/// <param name="BestEpoch">Epoch of the best value of the task's <see cref="ITrainingTask{TBatch}.BestBy"/> metric.</param>
/// <param name="BestValue">That best value.</param>
public sealed record TrainingResult(
    TrainingStatus Status,
    string Message,
    int EpochsCompleted,
    IReadOnlyList<EpochSummary> History,
    string? LastCheckpoint,
    string? BestCheckpoint,
    int? BestEpoch,
    double? BestValue)
{
    /// <summary>True when training completed.</summary>
    public bool Succeeded => Status == TrainingStatus.Completed;

    /// <summary>Process exit code: 0 when completed, 3 when training diverged.</summary>
    public int ExitCode => Succeeded ? 0 : 3;
}
