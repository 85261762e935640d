namespace Aperture.Generative;

/// <summary>Settings of <see cref="GaussianKde"/>.</summary>
public sealed record KdeOptions : Core.IValidatable
{
    /// <summary>Bandwidth h; 0 chooses it by held-out log-likelihood over the grid.</summary>
    public double Bandwidth { get; init; }

    /// <summary>Smallest bandwidth of the grid.</summary>
    public double GridLow { get; init; } = 0.02;

    /// <summary>Largest bandwidth of the grid.</summary>
    public double GridHigh { get; init; } = 0.5;

    /// <summary>Grid points (geometric).</summary>
    public int GridCount { get; init; } = 12;

    /// <summary>Validation examples the bandwidth is chosen on.</summary>
    public int SelectionExamples { get; init; } = 1000;

    /// <summary>Training examples kept as kernel centres (0: all); recorded in the card after fitting.</summary>
    public int TrainExamples { get; init; }

    /// <summary>Arithmetic (and stored centres) in float64 instead of float32.</summary>
    public bool DoublePrecision { get; init; }

    /// <summary>Throws one <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (Bandwidth < 0 || !double.IsFinite(Bandwidth)) throw new ArgumentException($"bandwidth must be >= 0 (0: choose it; got {Bandwidth})");
        if (!(GridLow > 0) || !(GridHigh >= GridLow)) throw new ArgumentException($"the bandwidth grid needs 0 < grid_low <= grid_high (got {GridLow}, {GridHigh})");
        if (GridCount < 1 || GridCount > 200) throw new ArgumentException($"grid_count must be in [1, 200] (got {GridCount})");
        if (SelectionExamples < 1) throw new ArgumentException($"selection_examples must be >= 1 (got {SelectionExamples})");
        if (TrainExamples < 0) throw new ArgumentException($"train_examples must be >= 0 (got {TrainExamples})");
    }
}
