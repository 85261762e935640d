using System.Globalization;
using Aperture.Core;
using Aperture.Data.Scenes;
using Aperture.Imaging;
using Aperture.Ops;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>The pictures and the table of a weakly supervised localization run.</summary>
public static class WeaklySupervisedFigures
{
    /// <summary>Columns of <see cref="TableRows"/>.</summary>
    public static IReadOnlyList<string> TableHeader { get; } = new[] { "setting", "CAM box (20% rule)", "centre box (50% side)", "full image", "counted" };

    /// <summary>The localization table: top-1 class (the paper's setting) and class given, CAM against both baselines.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> TableRows(WeaklySupervisedEvaluation e)
    {
        static string P(double v) => v.ToString("P1", CultureInfo.InvariantCulture);
        return new IReadOnlyList<string>[]
        {
            new[] { "top-1 class, box must match a true box of that class", P(e.TopClass.Accuracy), P(e.TopClass.CentreAccuracy), P(e.TopClass.FullImageAccuracy), $"{e.TopClass.Count} scenes" },
            new[] { "each class present given, its box", P(e.KnownClass.Accuracy), P(e.KnownClass.CentreAccuracy), P(e.KnownClass.FullImageAccuracy), $"{e.KnownClass.Count} (scene, class) pairs" },
        };
    }

    /// <summary>
    /// Writes <c>localize_scenes.png</c> (test scenes: the scene with its true boxes, then the CAM of the top class with
    /// the CAM box in white and that class's true boxes in green) and <c>localize_per_class.png</c> (scenes with
    /// several classes: the CAM of each class present, each with its own box).
    /// </summary>
    /// <param name="run">A finished run.</param>
    /// <param name="folder">Output folder.</param>
    /// <param name="count">Scenes in the first figure.</param>
    /// <param name="prefix">File name prefix.</param>
    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> Write(WeaklySupervisedRun run, string folder, int count = 12, string prefix = "localize")
    {
        Aperture.Core.OutputFolder.Create(folder);
        var scenes = run.TestScenes.Take(count).ToList();
        var model = run.Model;
        string first = Path.Combine(folder, $"{prefix}_scenes.png");
        string second = Path.Combine(folder, $"{prefix}_per_class.png");
        using (var scope = NewDisposeScope())
        {
            var images = stack(scenes.Select(s => s.ImageTensor()).ToArray());
            var top = model.Localize(images, 1);
            var tiles = new List<Tensor>();
            var captions = new List<Caption>();
            for (int i = 0; i < scenes.Count; i++)
            {
                var s = scenes[i];
                tiles.Add(WithTruth(s.ImageTensor(), s, null, model.ClassNames));
                captions.Add(Caption.Plain(string.Join(", ", s.Objects.Select(o => o.ClassName).Distinct())));
                var p = top[i][0];
                bool ok = p.Box is Box b && s.Objects.Any(o => o.ClassId == p.Class && b.Iou(o.Box) >= 0.5);
                tiles.Add(WithTruth(ClassActivationMap.Draw(s.ImageTensor(), p.Cam, p.Box), s, p.Class, model.ClassNames));
                captions.Add(new Caption($"{p.Name} {p.Probability:0.00} {(ok ? "right" : "wrong")}", ok ? Caption.Right : Caption.Wrong));
            }
            ImageTensor.Write(first, ImageGrid.Tile(stack(tiles.ToArray()), 6, 3, 1, captions));
        }
        using (var scope = NewDisposeScope())
        {
            var multi = run.TestScenes.Where(s => s.Objects.Select(o => o.ClassId).Distinct().Count() >= 2).Take(4).ToList();
            if (multi.Count == 0) multi = run.TestScenes.Take(4).ToList();
            var images = stack(multi.Select(s => s.ImageTensor()).ToArray());
            var classes = multi.Select(s => (IReadOnlyList<int>)s.Objects.Select(o => o.ClassId).Distinct().Order().ToList()).ToList();
            var maps = model.Localize(images, classes: classes);
            int columns = 1 + classes.Max(c => c.Count);
            var tiles = new List<Tensor>();
            var captions = new List<Caption>();
            for (int i = 0; i < multi.Count; i++)
            {
                tiles.Add(WithTruth(multi[i].ImageTensor(), multi[i], null, model.ClassNames));
                captions.Add(Caption.Plain($"scene {multi[i].Index}"));
                foreach (var m in maps[i])
                {
                    tiles.Add(WithTruth(ClassActivationMap.Draw(multi[i].ImageTensor(), m.Cam, m.Box), multi[i], m.Class, model.ClassNames));
                    captions.Add(Caption.Plain($"CAM {m.Name} {m.Probability:0.00}"));
                }
                for (int j = maps[i].Count + 1; j < columns; j++)
                {
                    tiles.Add(full(3, multi[i].Height, multi[i].Width, (byte)255, ScalarType.Byte));
                    captions.Add(Caption.Plain(""));
                }
            }
            ImageTensor.Write(second, ImageGrid.Tile(stack(tiles.ToArray()), columns, 3, 1, captions));
        }
        return new[] { first, second };
    }

    /// <summary>The scene's true boxes drawn on <paramref name="image"/>: all of them labelled, or only class <paramref name="onlyClass"/>'s in green.</summary>
    private static Tensor WithTruth(Tensor image, Scene scene, int? onlyClass, IReadOnlyList<string> names)
    {
        var objects = scene.Objects.Where(o => onlyClass is null || o.ClassId == onlyClass).ToList();
        if (objects.Count == 0) return Raster.Rgb(image);
        var boxes = tensor(objects.SelectMany(o => new[] { o.Box.X1, o.Box.Y1, o.Box.X2, o.Box.Y2 }).ToArray(), new long[] { objects.Count, 4 });
        if (onlyClass is not null)
            return BoxDrawing.Draw(image, boxes, style: new BoxStyle { ShowLabels = false, Color = new SKColor(40, 230, 60), LineWidth = 1 });
        var labels = tensor(objects.Select(o => (long)o.ClassId).ToArray());
        return BoxDrawing.Draw(image, boxes, labels, names, style: new BoxStyle { LineWidth = 1, FontSize = 9 });
    }

}
