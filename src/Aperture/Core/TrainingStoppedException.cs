namespace Aperture.Core;

/// <summary>
/// Thrown by callers that cannot go on when a run stopped early (a NaN/inf loss); the message is the trainer's
/// (epoch, step, and where the last good checkpoint is). The <c>Trainer</c> itself returns a
/// <c>TrainingResult</c> instead of throwing.
/// </summary>
public sealed class TrainingStoppedException(string message) : Exception(message);
