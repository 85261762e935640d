using System.CommandLine;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Scenes;

namespace Aperture.Cli;

/// <summary><c>aperture data info|fetch|scenes</c>.</summary>
internal static class DataCommands
{
    public static void AddTo(RootCommand root)
    {
        var data = new Command("data", "Find, fetch and generate datasets.");
        data.Add(Info());
        data.Add(Fetch());
        data.Add(Scenes());
        root.Add(data);
    }

    private static Command Info()
    {
        var cmd = Cli.Command("info", "Show which Fashion-MNIST source is used and what it holds.", "aperture data info --data ~/datasets/fashion-mnist");
        cmd.SetAction(r =>
        {
            string? dir = r.GetValue(CommonOptions.Data);
            using var train = FashionMnist.Load(DatasetSplit.Train, dir);
            using var test = FashionMnist.Load(DatasetSplit.Test, dir);
            var perClass = train.Labels.bincount(null, train.ClassNames.Count).data<long>().ToArray();
            if (r.GetValue(CommonOptions.Json))
                Output.Json(new { dataset = "fashion-mnist", source = train.Source, train = train.Count, test = test.Count,
                    image = train.Images.shape.Skip(1), classes = train.ClassNames, train_per_class = perClass });
            else
            {
                Output.Line($"Fashion-MNIST from {train.Source}");
                Output.Line($"train {train.Count} images, test {test.Count} images, each [{string.Join(", ", train.Images.shape.Skip(1))}] uint8");
                Output.Table("classes", new[] { "label", "name", "train images" },
                    train.ClassNames.Select((n, i) => (IReadOnlyList<string>)new[] { i.ToString(), n, perClass[i].ToString() }));
            }
            return 0;
        });
        return cmd;
    }

    private static Command Fetch()
    {
        var cmd = Cli.Command("fetch", "Make sure Fashion-MNIST is available (downloads into the user cache when a network exists) and say from where.",
            "aperture data fetch");
        cmd.SetAction(r =>
        {
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            if (r.GetValue(CommonOptions.Json)) Output.Json(new { source = train.Source, train = train.Count, test = test.Count });
            else Output.Line($"Fashion-MNIST: {train.Count} train + {test.Count} test images from {train.Source}");
            return 0;
        });
        return cmd;
    }

    private static Command Scenes()
    {
        var count = new Option<int>("--count") { Description = "Number of scenes (split 80/10/10 into train/val/test)", DefaultValueFactory = _ => 1000 };
        var size = new Option<int>("--size") { Description = "Scene side in pixels", DefaultValueFactory = _ => 128 };
        var maxItems = new Option<int>("--max-items") { Description = "Most items per scene", DefaultValueFactory = _ => 5 };
        var classesPerScene = new Option<int>("--classes-per-scene") { Description = "Draw this many classes per scene and every item from them, so items give each other context (0: every item's class independent)", DefaultValueFactory = _ => 0 };
        var cmd = Cli.Command("scenes",
            "Generate detection/segmentation scenes of Fashion-MNIST items on cluttered backgrounds, written as Pascal VOC, COCO JSON and PNG masks. Test scenes use test-set items only.",
            "aperture data scenes --count 1000 --out data/scenes --seed 1");
        cmd.Add(count);
        cmd.Add(size);
        cmd.Add(maxItems);
        cmd.Add(classesPerScene);
        cmd.SetAction(r =>
        {
            string outDir = CommonOptions.OutDir(r, "scenes");
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            var options = new SceneOptions { Width = r.GetValue(size), Height = r.GetValue(size), MaxItems = r.GetValue(maxItems), ClassesPerScene = r.GetValue(classesPerScene) };
            options.Validate();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            SceneSetSummary summary;
            using (var progress = CommonOptions.Progress(r))
            using (var task = progress.Start("scenes", r.GetValue(count)))
                summary = ScenesWriter.Write(outDir, train, r.GetValue(count), r.GetValue(CommonOptions.Seed), options,
                    progress: ProgressReporter.Counting(task), testItems: test);
            if (r.GetValue(CommonOptions.Json))
                Output.Json(new { root = Path.GetFullPath(summary.Root), splits = summary.Splits, objects = summary.Objects, seconds = sw.Elapsed.TotalSeconds });
            else
                Output.Line($"wrote {summary.Splits.Values.Sum()} scenes ({string.Join(", ", summary.Splits.Select(kv => $"{kv.Key} {kv.Value}"))}), " +
                            $"{summary.Objects} objects, to {Path.GetFullPath(summary.Root)} in {sw.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return cmd;
    }
}
