using System.Globalization;

namespace Aperture.Training;

/// <summary>The trainer's lines: metrics and the epoch summary, for an <see cref="Core.IProgressSink"/>.</summary>
internal static class TrainingProgress
{
    internal static string Format(double v) =>
        Math.Abs(v) >= 1e4 || (v != 0 && Math.Abs(v) < 1e-3) ? v.ToString("0.###e0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);

    internal static string Metrics(IReadOnlyDictionary<string, double> m) =>
        string.Join(" ", m.Select(kv => $"{kv.Key} {Format(kv.Value)}"));

    internal static string EpochLine(EpochSummary s, int epochs)
    {
        var parts = new List<string> { $"epoch {s.Epoch}/{epochs}", "train " + Metrics(s.Train) };
        if (s.Validation.Count > 0) parts.Add("val " + Metrics(s.Validation));
        parts.Add("lr " + string.Join(",", s.LearningRates.Values.Select(Format)));
        parts.Add($"{s.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        parts.Add($"{s.ImagesPerSecond.ToString("0", CultureInfo.InvariantCulture)} img/s");
        return string.Join("  ", parts);
    }
}
