namespace Aperture.Training;

/// <summary>A metric to select the best epoch by, and whether higher values are better.</summary>
/// <param name="Metric">Metric name as the task reports it, e.g. <c>accuracy</c> or <c>loss</c>.</param>
/// <param name="HigherIsBetter">True for accuracy-like metrics, false for losses.</param>
public sealed record MetricGoal(string Metric, bool HigherIsBetter)
{
    /// <summary>Whether <paramref name="candidate"/> improves on <paramref name="best"/> (any finite value beats none).</summary>
    public bool IsBetter(double candidate, double? best) =>
        double.IsFinite(candidate) && (best is null || (HigherIsBetter ? candidate > best : candidate < best));
}
