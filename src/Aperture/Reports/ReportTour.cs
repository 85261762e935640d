using System.Diagnostics;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>Settings of the report tour.</summary>
/// <param name="Folder">Where <c>index.html</c> and the figures go.</param>
/// <param name="Quick">A short tour (under 3 minutes on 2 cores): small subsets and few epochs.</param>
/// <param name="DataDir">Explicit Fashion-MNIST folder, or null to search the usual places.</param>
/// <param name="Seed">Seed of everything.</param>
public sealed record ReportSettings(string Folder, bool Quick, string? DataDir, long Seed);

/// <summary>
/// <c>aperture report</c>: runs every method on the default data and writes one HTML page with a chapter per method.
/// </summary>
public static class ReportTour
{
    /// <summary>Runs the tour; returns the path of <c>index.html</c>.</summary>
    public static string Run(ReportSettings settings, Device device, TextWriter log)
    {
        var total = Stopwatch.StartNew();
        var report = new HtmlReport(settings.Folder, "Aperture report");
        using var train = FashionMnist.Load(DatasetSplit.Train, settings.DataDir);
        using var test = FashionMnist.Load(DatasetSplit.Test, settings.DataDir);
        report.Preamble.Add($"Mode: {(settings.Quick ? "quick (subsets, few epochs: figures are lower than a full run's)" : "full")}; seed {settings.Seed}; "
            + $"{get_num_threads()} threads; device {device}. Data: {train.Source}.");
        var runs = ClassificationChapter.Add(report, train, test, settings.Quick, settings.Seed, device, log);
        InsideChapter.Add(report, runs, train, test, settings.Quick, settings.Seed, device, log);
        DetectionChapter.Add(report, train, test, settings.Quick, settings.Seed, device, log);
        report.Preamble.Add($"The whole tour took {total.Elapsed.TotalSeconds:F0} s.");
        return report.Write();
    }
}
