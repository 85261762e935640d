using System.Diagnostics;
using System.Globalization;
using Aperture.Detection;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>
/// The proposal part of the detection chapter: selective search in its three modes (Uijlings et al. 2013) on the
/// test scenes — recall at IoU 0.5 and MABO against the number of proposals kept, boxes and time per image —
/// and the first proposals drawn on a scene and on real photos when any are installed.
/// </summary>
public static class ProposalStudy
{
    /// <summary>Photos used when present (Debian's python3-skimage and python3-sklearn ship them).</summary>
    public static IReadOnlyList<string> PhotoCandidates { get; } = new[]
    {
        "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
        "/usr/lib/python3/dist-packages/skimage/data/coffee.png",
        "/usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg",
    };

    private static readonly int[] Counts = { 10, 20, 50, 100, 200, 500, 1000, 2000 };

    /// <summary>Adds the study to <paramref name="chapter"/>, writing figures into <paramref name="folder"/>.</summary>
    /// <param name="chapter">The detection chapter.</param>
    /// <param name="scenes">Test scenes: images <c>uint8 [3, H, W]</c> with true boxes <c>[K, 4]</c>.</param>
    /// <param name="folder">Where the PNGs go (inside the report folder).</param>
    /// <param name="seed">Seed of the proposal ranking.</param>
    /// <param name="log">Progress lines.</param>
    public static void Add(HtmlReport.Chapter chapter, IReadOnlyList<(Tensor Image, Tensor Truth)> scenes, string folder, long seed, TextWriter log)
    {
        Aperture.Core.OutputFolder.Create(folder);
        var truths = scenes.Select(s => s.Truth).ToList();
        var recall = new List<Curve>();
        var mabo = new List<Curve>();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var mode in new[] { SelectiveSearchMode.Single, SelectiveSearchMode.Fast, SelectiveSearchMode.Quality })
        {
            var sw = Stopwatch.StartNew();
            var boxes = scenes.Select(s => SelectiveSearch.Propose(s.Image, mode, Counts[^1], seed)).ToList();
            double ms = sw.Elapsed.TotalMilliseconds / scenes.Count;
            string name = mode.ToString().ToLowerInvariant();
            log.WriteLine($"[report] selective search {name}: {boxes.Average(b => b.shape[0]):F0} boxes, {ms:F0} ms per scene");
            var r = ProposalMetrics.Recall(boxes, truths, Counts);
            var m = Counts.Select(c => ProposalMetrics.Mabo(boxes, truths, count: c)).ToArray();
            var x = Counts.Select(c => Math.Log10(c)).ToArray();
            recall.Add(new Curve(name, r, x));
            mabo.Add(new Curve(name, m, x));
            rows.Add(new[]
            {
                name, boxes.Average(b => (double)b.shape[0]).ToString("F0", CultureInfo.InvariantCulture), ms.ToString("F0", CultureInfo.InvariantCulture),
                r[Array.IndexOf(Counts, 100)].ToString("P1", CultureInfo.InvariantCulture), r[^1].ToString("P1", CultureInfo.InvariantCulture),
                m[^1].ToString("F3", CultureInfo.InvariantCulture),
            });
            if (mode == SelectiveSearchMode.Fast)
                ImageTensor.Write(Path.Combine(folder, "proposals-scene.png"),
                    BoxDrawing.Draw(scenes[0].Image, boxes[0].narrow(0, 0, Math.Min(30, boxes[0].shape[0])), style: new BoxStyle { ShowLabels = false }));
            foreach (var b in boxes) b.Dispose();
        }
        string recallPng = Path.Combine(folder, "proposal-recall.png"), maboPng = Path.Combine(folder, "proposal-mabo.png");
        PlotCurves.Write(recallPng, recall, "Selective search on the test scenes: recall at IoU 0.5", "log10(proposals kept)", "recall");
        PlotCurves.Write(maboPng, mabo, "Selective search on the test scenes: MABO", "log10(proposals kept)", "mean average best overlap");

        chapter.Heading("Object proposals: selective search");
        chapter.Paragraph($"Selective search on the {scenes.Count} test scenes in the paper's three modes (single: HSV, k = 100, all four similarities; "
            + "fast: HSV and Lab, k = 50 and 100, two similarity sets; quality: five colour spaces, four k values, four similarity sets), "
            + "boxes ranked as in the paper (position in the hierarchy counted from the top, read as the region's level in its merge tree, "
            + "times a random number; all strategies pooled, "
            + "then de-duplicated), at most 2,000 per image.");
        chapter.Table(new[] { "mode", "boxes / image", "ms / image", "recall@0.5, 100 boxes", "recall@0.5, all", "MABO, all" }, rows);
        chapter.Figure(recallPng, "Recall at IoU 0.5 against the number of proposals kept (log scale).", 480)
            .Figure(maboPng, "Mean average best overlap against the number of proposals kept.", 480)
            .Figure(Path.Combine(folder, "proposals-scene.png"), "The 30 best-ranked fast-mode proposals on a test scene.", 256);

        var photos = PhotoCandidates.Where(File.Exists).ToList();
        if (photos.Count == 0)
        {
            chapter.Paragraph("No sample photos were found on this machine (Debian's python3-skimage and python3-sklearn ship some); "
                + "run 'aperture propose PHOTO' on your own.");
            return;
        }
        foreach (var photo in photos)
        {
            using var scope = NewDisposeScope();
            var image = ImageTensor.Read(photo);
            var sw = Stopwatch.StartNew();
            var boxes = SelectiveSearch.Propose(image, SelectiveSearchMode.Fast, 2000, seed);
            double ms = sw.Elapsed.TotalMilliseconds;
            string png = Path.Combine(folder, $"proposals-{Path.GetFileNameWithoutExtension(photo)}.png");
            ImageTensor.Write(png, BoxDrawing.Draw(image, boxes.narrow(0, 0, Math.Min(40, boxes.shape[0])), style: new BoxStyle { ShowLabels = false }));
            chapter.Figure(png, $"{Path.GetFileName(photo)} ({image.shape[2]}x{image.shape[1]}): the 40 best-ranked of {boxes.shape[0]} fast-mode proposals, found in {ms:F0} ms.", 400);
        }
    }
}
