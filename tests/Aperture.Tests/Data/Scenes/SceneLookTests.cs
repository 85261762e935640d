using Aperture.Data.Scenes;
using Aperture.Imaging;
using SkiaSharp;

namespace Aperture.Tests.Data.Scenes;

/// <summary>
/// Writes a contact sheet of scenes with their boxes and class masks when APERTURE_LOOK_DIR is set,
/// for a person to look at; otherwise does nothing.
/// </summary>
public class SceneLookTests
{
    [Fact]
    public void WritesContactSheetWhenAsked()
    {
        string? dir = Environment.GetEnvironmentVariable("APERTURE_LOOK_DIR");
        if (string.IsNullOrEmpty(dir)) return;
        using var items = FashionMnistSample.Load();
        Directory.CreateDirectory(dir);
        Sheet(Path.Combine(dir, "scenes.png"), new SceneGenerator(items, seed: 7).Generate(0, 8));
        Sheet(Path.Combine(dir, "scenes-seed123.png"), new SceneGenerator(items, seed: 123).Generate(100, 8));
        ScenesWriter.Write(Path.Combine(dir, "set"), items, 12, seed: 7);
    }

    private static void Sheet(string path, Scene[] scenes)
    {
        int W = 128, H = 128, z = 2;
        using var sheet = new SKBitmap(new SKImageInfo(4 * W * z, scenes.Length * H * z));
        using var canvas = new SKCanvas(sheet);
        canvas.Clear(SKColors.Black);
        for (int r = 0; r < scenes.Length; r++)
        {
            var s = scenes[r];
            using var img = ImageTensor.ToBitmap(s.ImageTensor());
            using var mask = ColourMask(s.ClassMask, W, H);
            using var inst = ColourMask(s.InstanceMask, W, H);
            var rows = new[] { img, img, mask, inst };
            for (int c = 0; c < 4; c++)
                canvas.DrawBitmap(rows[c], new SKRect(c * W * z, r * H * z, (c + 1) * W * z, (r + 1) * H * z));
            using var pen = new SKPaint { Color = SKColors.Yellow, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
            using var font = new SKFont { Size = 11 };
            using var ink = new SKPaint { Color = SKColors.Yellow };
            foreach (var o in s.Objects)
            {
                var b = o.Box;
                canvas.DrawRect(W * z + b.X1 * z, r * H * z + b.Y1 * z, b.Width * z, b.Height * z, pen);
                canvas.DrawText(o.ClassName, W * z + b.X1 * z + 2, r * H * z + b.Y1 * z + 11, font, ink);
            }
        }
        ImageFile.Write(path, sheet);
    }

    private static SKBitmap ColourMask(byte[] mask, int W, int H)
    {
        var bmp = new SKBitmap(new SKImageInfo(W, H));
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int v = mask[y * W + x];
                bmp.SetPixel(x, y, v == 0 ? SKColors.Black : SKColor.FromHsv(v * 37 % 360, 80, 95));
            }
        return bmp;
    }
}
