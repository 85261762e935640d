using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Aperture.Core;
using Aperture.Detection;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Cli;

/// <summary><c>aperture propose</c>: selective-search object proposals for images.</summary>
internal static class ProposeCommand
{
    public static void AddTo(RootCommand root)
    {
        var images = new Argument<string[]>("images") { Description = "PNG or JPEG files", Arity = ArgumentArity.OneOrMore };
        var mode = new Option<string>("--mode") { Description = "single, fast or quality (Uijlings et al. 2013)", DefaultValueFactory = _ => "fast" };
        mode.AcceptOnlyFromAmong("single", "fast", "quality");
        var max = new Option<int>("--max") { Description = "Keep at most this many boxes per image, best ranked first", DefaultValueFactory = _ => 2000 };
        var draw = new Option<int>("--draw") { Description = "Draw the first N boxes of each image into <out>/<image>-proposals.png (0: none)", DefaultValueFactory = _ => 50 };
        var cmd = Cli.Command("propose",
            "Object proposals by selective search: ranked, de-duplicated boxes per image, written to <out>/proposals.json (x1, y1, x2, y2 in pixels) and drawn as PNGs.",
            "aperture propose photo.jpg --mode fast --max 2000 --out proposals");
        cmd.Add(images);
        cmd.Add(mode);
        cmd.Add(max);
        cmd.Add(draw);
        cmd.SetAction(r =>
        {
            CommonOptions.Apply(r);
            var m = Enum.Parse<SelectiveSearchMode>(r.GetValue(mode)!, ignoreCase: true);
            string outDir = CommonOptions.OutDir(r, "proposals");
            int drawN = r.GetValue(draw);
            var results = new List<object>();
            foreach (string path in r.GetValue(images)!)
            {
                using var scope = NewDisposeScope();
                var image = ImageTensor.Read(path);
                var sw = Stopwatch.StartNew();
                var boxes = SelectiveSearch.Propose(image, m, r.GetValue(max), r.GetValue(CommonOptions.Seed), r.GetValue(CommonOptions.Threads));
                double ms = sw.Elapsed.TotalMilliseconds;
                var flat = boxes.data<float>().ToArray();
                var list = Enumerable.Range(0, (int)boxes.shape[0]).Select(i => flat.AsSpan(i * 4, 4).ToArray()).ToList();
                string? png = null;
                if (drawN > 0 && list.Count > 0)
                {
                    png = Path.Combine(outDir, Path.GetFileNameWithoutExtension(path) + "-proposals.png");
                    ImageTensor.Write(png, BoxDrawing.Draw(image, boxes.narrow(0, 0, Math.Min(drawN, list.Count)), style: new BoxStyle { ShowLabels = false }));
                }
                results.Add(new { image = path, width = image.shape[2], height = image.shape[1], mode = m.ToString().ToLowerInvariant(), milliseconds = ms, count = list.Count, boxes = list, drawn = png });
                if (!r.GetValue(CommonOptions.Json))
                    Output.Line($"{path}: {list.Count} boxes in {ms:F0} ms ({m} mode){(png is null ? "" : $", first {Math.Min(drawN, list.Count)} drawn in {png}")}");
            }
            string json = Path.Combine(outDir, "proposals.json");
            AtomicFile.WriteAllText(json, JsonSerializer.Serialize(results));
            if (r.GetValue(CommonOptions.Json)) Output.Json(results.Select(x => x));
            else Output.Line($"boxes: {json}");
            return 0;
        });
        root.Add(cmd);
    }
}
