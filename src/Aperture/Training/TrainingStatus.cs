namespace Aperture.Training;

/// <summary>How a training run ended.</summary>
public enum TrainingStatus
{
    /// <summary>All epochs ran (or there was nothing left to run after a resume).</summary>
    Completed,
    /// <summary>A reported value (a loss) became NaN or infinite; training stopped and the last good checkpoint was kept.</summary>
    Diverged,
}
