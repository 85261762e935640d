namespace Aperture.Training;

/// <summary>What one epoch produced; the trainer keeps the history in its checkpoints and <c>metrics.jsonl</c>.</summary>
/// <param name="Epoch">Epoch number, 1-based.</param>
/// <param name="Train">Training metrics averaged over the epoch's examples (e.g. <c>loss</c>, <c>accuracy</c>).</param>
/// <param name="Validation">Validation metrics (empty when there is no validation data).</param>
/// <param name="LearningRates">Learning rate used during the epoch, per optimizer name.</param>
/// <param name="Examples">Training examples seen.</param>
/// <param name="Seconds">Wall time of the training pass.</param>
/// <param name="ImagesPerSecond">Training throughput, examples per second.</param>
/// <param name="ValidationSeconds">Wall time of the validation pass.</param>
public sealed record EpochSummary(
    int Epoch,
    IReadOnlyDictionary<string, double> Train,
    IReadOnlyDictionary<string, double> Validation,
    IReadOnlyDictionary<string, double> LearningRates,
    long Examples,
    double Seconds,
    double ImagesPerSecond,
    double ValidationSeconds);
