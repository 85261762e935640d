using System.Diagnostics;
using Aperture.Data;
using Aperture.Detection;
using Aperture.Reports;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Proposal ranking (Uijlings et al. 2013, section 3.3): recall at IoU 0.5 within the first 50 / 100 / 300 boxes and
/// with all of them, MABO and boxes per image, for selective search single / fast / quality, ours and OpenCV's
/// (ximgproc, its boxes taken in its own ranked order), on the report's held-out scenes: the detection chapter's
/// 75 test scenes of 128x128, made of Fashion-MNIST test items with the report's seed. Both sides are scored by
/// the same <see cref="ProposalMetrics"/> code against the same boxes.
/// </summary>
/// <remarks>
/// The ranking's jitter makes the recall within the first boxes a random figure (on 211 objects it moves by several
/// points from one draw to the next), so both sides are the mean over several draws, with the lowest and highest recall
/// at 100: ours over ranking seeds, OpenCV's over as many runs in one process (it never seeds its jitter, so each run
/// draws anew). OpenCV also runs a fourth mode, <c>paper-fast</c>: its grouping and ranking on our fast mode's (the
/// paper's) segmentations, k = 50 and 100 with minimum size k, against its own default k = 150, 300, 450, minimum 100.
/// </remarks>
public static class ProposalBench
{
    private static readonly int[] Cutoffs = { 50, 100, 300, int.MaxValue };

    /// <summary>
    /// Runs the benchmark. Options: <c>--seed S</c> (scenes and first ranking seed, default 0 as the report's),
    /// <c>--ranking-seeds N</c> (ours averaged over ranking seeds S … S + N − 1, OpenCV over N runs; default 5), <c>--no-peers</c>.
    /// Returns an object to print as JSON.
    /// </summary>
    public static object Run(string[] args)
    {
        long seed = args.SkipWhile(a => a != "--seed").Skip(1).Select(long.Parse).FirstOrDefault();
        int rankings = args.SkipWhile(a => a != "--ranking-seeds").Skip(1).Select(int.Parse).DefaultIfEmpty(5).First();
        bool peers = !args.Contains("--no-peers");
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
        string dir = Path.Combine(Path.GetTempPath(), "aperture-proposal-bench", $"scenes-seed-{seed}");
        using (var trainItems = FashionMnist.Load(DatasetSplit.Train))
        using (var testItems = FashionMnist.Load(DatasetSplit.Test))
            DetectionChapter.WriteScenes(dir, trainItems, testItems, quick: false, seed);
        using var data = DetectionData.Load(dir);
        var scenes = data.Test;
        var truths = scenes.Select(s => s.Boxes).ToList();
        var modes = Enum.GetValues<SelectiveSearchMode>();

        var ours = new Dictionary<string, object>();
        foreach (var mode in modes)
        {
            var draws = new List<Dictionary<string, double>>();
            for (long r = seed; r < seed + rankings; r++)
            {
                var sw = Stopwatch.StartNew();
                var boxes = scenes.Select(s => SelectiveSearch.Propose(s.Image, mode, maxBoxes: 0, seed: r)).ToList();
                draws.Add(Score(boxes, truths, sw.Elapsed.TotalMilliseconds / scenes.Count));
                foreach (var b in boxes) b.Dispose();
            }
            ours[Name(mode)] = Mean(draws);
        }

        object opencv = "skipped";
        if (peers)
        {
            var paths = scenes.Select(s => Path.Combine(dir, "JPEGImages", s.Id + ".png"));
            var cv = Peers.Run("opencv_selective_search.py", new[] { $"{Environment.ProcessorCount}", $"{rankings}", "--paper-fast" }.Concat(paths));
            if (cv is { } c)
            {
                var theirs = new Dictionary<string, object> { ["library"] = c.GetProperty("library").GetString()! };
                foreach (var mode in modes.Select(Name).Append(PaperFast))
                {
                    var results = c.GetProperty("modes").GetProperty(mode).GetProperty("results").EnumerateArray().ToList();
                    double ms = results.Average(r => r.GetProperty("ms").GetDouble());
                    var draws = new List<Dictionary<string, double>>();
                    for (int d = 0; d < rankings; d++)
                    {
                        var boxes = results.Select(r =>
                        {
                            var flat = r.GetProperty("draws")[d].EnumerateArray().SelectMany(b => b.EnumerateArray().Select(v => (float)v.GetInt32())).ToArray();
                            return flat.Length == 0 ? zeros(0, 4) : tensor(flat, new long[] { flat.Length / 4, 4 });
                        }).ToList();
                        draws.Add(Score(boxes, truths, ms));
                        foreach (var b in boxes) b.Dispose();
                    }
                    theirs[mode] = Mean(draws);
                }
                opencv = theirs;
            }
            else opencv = "unavailable (/usr/bin/python3 with cv2.ximgproc)";
        }

        return new
        {
            bench = "proposals",
            ranking_draws = $"both: mean of {rankings} draws of the ranking jitter (ours: seeds {seed} to {seed + rankings - 1}; OpenCV: {rankings} runs in one process)",
            scenes = new { count = scenes.Count, size = $"{scenes[0].Width}x{scenes[0].Height}", objects = truths.Sum(t => t.shape[0]), seed, source = "the report's detection test split (Fashion-MNIST test items)" },
            iou = 0.5,
            cutoffs = "recall within the first 50 / 100 / 300 ranked boxes and with all of them",
            aperture = ours,
            opencv,
            load,
            note = "recall and MABO do not depend on load; ms_per_image does (2 cores shared)",
        };
    }

    // The mean of each figure over the draws of the ranking jitter, and the spread of recall at 100.
    private static Dictionary<string, object> Mean(List<Dictionary<string, double>> draws)
    {
        var mean = draws[0].Keys.ToDictionary(k => k, k => (object)Math.Round(draws.Average(d => d[k]), 4));
        mean["recall_at_100_lowest_highest"] = new[] { draws.Min(d => d["recall_at_100"]), draws.Max(d => d["recall_at_100"]) };
        return mean;
    }

    private static Dictionary<string, double> Score(IReadOnlyList<Tensor> boxes, IReadOnlyList<Tensor> truths, double ms)
    {
        var recall = ProposalMetrics.Recall(boxes, truths, Cutoffs);
        return new Dictionary<string, double>
        {
            ["recall_at_50"] = Math.Round(recall[0], 4),
            ["recall_at_100"] = Math.Round(recall[1], 4),
            ["recall_at_300"] = Math.Round(recall[2], 4),
            ["recall_all"] = Math.Round(recall[3], 4),
            ["mabo_at_100"] = Math.Round(ProposalMetrics.Mabo(boxes, truths, count: 100), 4),
            ["mabo_all"] = Math.Round(ProposalMetrics.Mabo(boxes, truths), 4),
            ["mean_boxes"] = Math.Round(boxes.Average(b => (double)b.shape[0]), 1),
            ["ms_per_image"] = Math.Round(ms, 1),
        };
    }

    // OpenCV's grouping and ranking run with our fast mode's (the paper's) segmentations: k = 50, 100, minimum size k.
    private const string PaperFast = "paper-fast";

    private static string Name(SelectiveSearchMode m) => m.ToString().ToLowerInvariant();
}
