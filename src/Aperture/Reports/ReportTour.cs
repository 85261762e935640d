using System.Diagnostics;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>Settings of the report tour.</summary>
/// <param name="Folder">Where <c>index.html</c> and the figures go.</param>
/// <param name="Quick">A short tour (about 5 minutes on 2 cores): small subsets and few epochs.</param>
/// <param name="DataDir">Explicit Fashion-MNIST folder, or null to search the usual places.</param>
/// <param name="Seed">Seed of everything.</param>
public sealed record ReportSettings(string Folder, bool Quick, string? DataDir, long Seed);

/// <summary>
/// <c>aperture report</c>: runs every method on the default data and writes one HTML page with a chapter per method.
/// </summary>
public static class ReportTour
{
    /// <summary>The chapters in order, with their expected minutes on 2 cores run alone (full, quick), shown so a person
    /// knows what runs and for how long; the tour logs what each took. From 2026-12-02's runs: density models 15.6 min
    /// alone, chapters 1–4 41.8 min together (split here by estimate), the quick chapters 3–6 1:35, 1:26, 0:14, 0:14; the
    /// detection chapter has since gained the harder held-out scenes (about 2 more minutes, estimated from R-CNN's and
    /// the sliding window's time per image).</summary>
    private static readonly (string Name, int Full, int Quick)[] Chapters =
    [
        ("classification", 12, 1),
        ("inside the network", 3, 1),
        ("detection", 17, 2),
        ("segmentation", 12, 2),
        ("density models", 16, 1),
        ("learning without labels", 7, 1),
    ];

    /// <summary>Runs the tour; returns the path of <c>index.html</c>.</summary>
    /// <remarks>Progress (which chapter runs, its expected length, the epochs and caches inside it) goes to the sink
    /// behind <paramref name="log"/> when it is an <see cref="IProgressSink.Log"/>, else as plain lines into it.</remarks>
    public static string Run(ReportSettings settings, Device device, TextWriter log)
    {
        var total = Stopwatch.StartNew();
        var report = new HtmlReport(settings.Folder, "Aperture report");
        using var train = FashionMnist.Load(DatasetSplit.Train, settings.DataDir);
        using var test = FashionMnist.Load(DatasetSplit.Test, settings.DataDir);
        report.Preamble.Add($"Mode: {(settings.Quick ? "quick (subsets, few epochs: figures are lower than a full run's)" : "full")}; seed {settings.Seed}; "
            + $"{get_num_threads()} threads; device {device}. Data: {train.Source}.");
        using var progress = ProgressReporter.From(log);
        using var chapters = progress.Start("report", Chapters.Length, "chapter");
        var clock = Stopwatch.StartNew();
        var took = new List<string>();
        void Begin(int i)
        {
            if (i > 0) Finish(i - 1);
            var (name, full, quick) = Chapters[i];
            string expected = $"~{(settings.Quick ? quick : full)} min";
            chapters.Status($"{i + 1}/{Chapters.Length} {name} ({expected})");
            progress.Message($"[report] chapter {i + 1}/{Chapters.Length}: {name}, expected {expected} on 2 cores");
            clock.Restart();
        }
        void Finish(int i)
        {
            string t = $"{(int)clock.Elapsed.TotalMinutes}:{clock.Elapsed.Seconds:D2}";
            took.Add($"{Chapters[i].Name} {t}");
            progress.Message($"[report] chapter {i + 1}/{Chapters.Length}: {Chapters[i].Name} took {t}");
        }
        Begin(0);
        var runs = ClassificationChapter.Add(report, train, test, settings.Quick, settings.Seed, device, progress.Log);
        chapters.Advance();
        Begin(1);
        InsideChapter.Add(report, runs, train, test, settings.Quick, settings.Seed, device, progress.Log);
        chapters.Advance();
        Begin(2);
        DetectionChapter.Add(report, train, test, settings.Quick, settings.Seed, device, progress.Log,
            pretrainedRun: runs.ContainsKey(BackboneFc.Id) ? Path.Combine(report.Folder, "runs", BackboneFc.Id) : null);
        chapters.Advance();
        Begin(3);
        SegmentationChapter.Add(report, train, test, settings.Quick, settings.Seed, device, progress.Log);
        chapters.Advance();
        Begin(4);
        var density = DensityChapter.Add(report, train, test, settings.Quick, settings.Seed, device, progress.Log);
        chapters.Advance();
        Begin(5);
        string lenet = Path.Combine(report.Folder, "runs", "lenet5");
        string? vae = density.Rows.FirstOrDefault(r => r.Label.StartsWith("vae", StringComparison.Ordinal) && r.Label.EndsWith("gaussian", StringComparison.Ordinal))?.RunFolder;
        LearningWithoutLabelsChapter.Add(report, train, test, settings.Quick, settings.Seed, device, progress.Log,
            Directory.Exists(lenet) ? lenet : null, vae);
        chapters.Advance();
        Finish(Chapters.Length - 1);
        chapters.Done();
        report.Preamble.Add($"The whole tour took {total.Elapsed.TotalSeconds:F0} s ({string.Join(", ", took)}, m:ss).");
        return report.Write();
    }
}
