using System.CommandLine;
using Aperture.Core;
using Aperture.Detection;
using Aperture.Imaging;

namespace Aperture.Cli;

/// <summary><c>aperture propose</c>: option wiring for <see cref="ImageProposals"/>.</summary>
internal static class ProposeCommand
{
    public static void AddTo(RootCommand root)
    {
        var mode = new Option<string>("--mode") { Description = "single, fast or quality (Uijlings et al. 2013)", DefaultValueFactory = _ => "fast" };
        mode.AcceptOnlyFromAmong("single", "fast", "quality");
        var max = new Option<int>("--max") { Description = "Keep at most this many boxes per image, best ranked first", DefaultValueFactory = _ => 2000 };
        var maxSide = MaxSideOption("searched");
        var draw = new Option<int>("--draw") { Description = "Draw the first N boxes of each image into <out>/<image>-proposals.png (0: none)", DefaultValueFactory = _ => 50 };
        var cmd = Cli.Command("propose",
            "Object proposals by selective search: ranked, de-duplicated boxes per image, written to <out>/proposals.json (x1, y1, x2, y2 in pixels; times in proposals.timings.json) and drawn as PNGs.",
            "aperture propose photo.jpg --mode fast --max 2000 --out proposals");
        var inputs = new BatchInputs(cmd, "PNG or JPEG files");
        cmd.Add(mode);
        cmd.Add(max);
        cmd.Add(draw);
        cmd.Add(maxSide);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = SelectiveSearchProposals.ParseMode(r.GetValue(mode)!);
            string outDir = CommonOptions.OutDir(r, "proposals");
            var batch = inputs.Plan(r, "proposals", timingFields: "milliseconds");
            var results = new List<ImageProposalsResult>();
            using (var progress = CommonOptions.Progress(r))
            {
                var task = progress.Start("propose", batch.Images.Count);
                foreach (string path in batch.Images)
                {
                    var p = ImageProposals.Run(path, m, r.GetValue(max), r.GetValue(CommonOptions.Seed), r.GetValue(CommonOptions.Threads), r.GetValue(draw), outDir, r.GetValue(maxSide));
                    results.Add(p);
                    batch.Add(p);
                    task.Advance();
                    progress.Item($"{path}: {p.Count} boxes in {p.Milliseconds:F0} ms ({p.Mode} mode){(p.Drawn is null ? "" : $", first {Math.Min(r.GetValue(draw), p.Count)} drawn in {p.Drawn}")}{ScaleNote(p.Scale)}");
                }
                task.Done();
            }
            string json = batch.Write(outDir);
            if (r.GetValue(CommonOptions.Json)) Output.Json(results);
            else
            {
                int scaled = results.Count(p => p.Scale < 1);
                if (scaled > 0)
                    Output.Line($"{scaled} of {results.Count} images searched on a working copy with the longer side {r.GetValue(maxSide)} px (--max-side; 0: no limit); boxes are in the original pixels");
                Output.Line(BatchInputs.Describe(batch, json));
            }
            return 0;
        });
        root.Add(cmd);
    }

    /// <summary>The <c>--max-side</c> option of <c>propose</c> and <c>detect</c>.</summary>
    internal static Option<int> MaxSideOption(string verb) => new("--max-side")
    {
        Description = $"Images whose longer side exceeds this many pixels are {verb} on an area-averaged copy of that size; boxes are mapped back to the original pixels (0: no limit)",
        DefaultValueFactory = _ => ImageScaling.DefaultMaxSide,
    };

    /// <summary>" (working copy at scale s)" when an image was downscaled, else empty.</summary>
    internal static string ScaleNote(double scale) =>
        scale < 1 ? $" (on a working copy at scale {scale.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)})" : "";
}
