using System.Diagnostics;
using Aperture.Detection;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Detection time per image, proposals excluded, of trained detectors measured in one run on the same images: issue 13's
/// "Fast R-CNN stays ≥ 20x faster per image than R-CNN, measured in the same run". The detectors take turns image by
/// image (each image's proposals computed once, before timing), so they meet the same machine load; each detector's
/// first image is an untimed warm-up. The images are the test split of the first run's scenes (<c>RUN/scenes</c>, or
/// <c>--data DIR</c>).
/// </summary>
public static class DetectorSpeedBench
{
    /// <summary>
    /// Runs the benchmark: <c>RUN RUN... [--data DIR] [--images N]</c> (default 50 images). Returns an object to print as JSON.
    /// </summary>
    public static object Run(string[] args)
    {
        var runs = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        if (runs.Count == 0) throw new ArgumentException("usage: detector-speed RUN [RUN...] [--data DIR] [--images N]");
        string data = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault() ?? Path.Combine(runs[0], "scenes");
        int count = args.SkipWhile(a => a != "--images").Skip(1).Select(int.Parse).FirstOrDefault(50);
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        var detectors = runs.Select(r => Detectors.Load(r, CPU)).ToList();
        using var set = DetectionData.Load(data, limitTest: count);
        var images = set.Test;
        var source = new SelectiveSearchProposals(SelectiveSearchMode.Fast, 2000);
        foreach (var im in images)
            using (var p = source.Propose(im.Image)) im.SetProposals(p);
        var clocks = detectors.Select(_ => new Stopwatch()).ToArray();
        for (int i = 0; i < images.Count; i++)
            for (int d = 0; d < detectors.Count; d++)
            {
                using var scope = NewDisposeScope();
                var detector = detectors[d].Detector;
                var proposals = detector.UsesProposals ? images[i].Proposals : null;
                if (i == 0) { detector.Detect(images[i].Image, proposals); continue; }
                clocks[d].Start();
                detector.Detect(images[i].Image, proposals);
                clocks[d].Stop();
            }
        int timed = images.Count - 1;
        var ms = clocks.Select(c => c.Elapsed.TotalMilliseconds / Math.Max(1, timed)).ToArray();
        return new
        {
            bench = "detector-speed",
            load_before = load,
            load_after = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown",
            threads = get_num_threads(),
            data,
            images_timed = timed,
            proposals_per_image = images.Average(im => (double)im.Proposals!.shape[0]),
            detectors = detectors.Select((d, i) => new { run = runs[i], method = d.Method.Name, ms_per_image = Math.Round(ms[i], 2) }).ToList(),
            slowest_over_fastest = Math.Round(ms.Max() / ms.Min(), 1),
        };
    }
}
