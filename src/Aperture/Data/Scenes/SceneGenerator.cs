using System.Runtime.InteropServices;
using Aperture.Data.Formats;
using Aperture.Ops;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Data.Scenes;

/// <summary>
/// Makes detection / segmentation scenes from labelled item images (Fashion-MNIST): items are scaled
/// (bilinear), tinted with a random colour and alpha-blended by intensity at random positions onto a
/// cluttered, textured background (smooth colour noise, lines, curves, blobs, striped patches and crops of
/// item texture). Each scene comes with exact boxes, a class mask and an instance mask.
/// <para>
/// Deterministic: scene <c>i</c> depends only on (seed, i, items, options), never on other scenes or
/// threads, so scenes can be made in parallel and one scene can be re-made alone.
/// </para>
/// <para>
/// Occlusion is bounded: an item is placed only where it hides at most <see cref="SceneOptions.MaxOcclusion"/>
/// of each earlier item's visible area and leaves it at least <see cref="SceneOptions.MinVisiblePixels"/>
/// pixels, so every listed object is visible.
/// </para>
/// </summary>
public sealed class SceneGenerator
{
    private readonly byte[] _pixels;   // [N, C, h, w]
    private readonly long[] _labels;   // [N]
    private readonly int _n, _c, _h, _w;
    private readonly int[][] _itemsOfClass;   // item indices per class id (only the classes that have items)

    /// <summary>
    /// Prepares a generator. The items' pixels are copied, so <paramref name="items"/> may be disposed afterwards.
    /// </summary>
    /// <param name="items">Item images, <c>uint8 [N, C, h, w]</c> with C = 1 (grey, tinted) or 3 (RGB, used as is), bright object on dark ground; labels <c>[N]</c>.</param>
    /// <param name="seed">The seed; the same seed gives byte-identical scenes.</param>
    /// <param name="options">Scene parameters (defaults when null).</param>
    /// <exception cref="ArgumentException">No items, more than 254 classes, or bad options.</exception>
    public SceneGenerator(LabeledImages items, long seed, SceneOptions? options = null)
    {
        Options = options ?? new SceneOptions();
        Options.Validate();
        Seed = seed;
        var shape = items.Images.shape;
        if (shape.Length != 4 || shape[0] == 0 || (shape[1] != 1 && shape[1] != 3))
            throw new ArgumentException($"scene items from {items.Source}: expected images [N, 1 or 3, h, w] with N > 0, got [{string.Join(", ", shape)}]");
        if (items.ClassNames.Count > 254)
            throw new ArgumentException($"scene items from {items.Source}: {items.ClassNames.Count} classes do not fit an 8-bit class mask (at most 254)");
        (_n, _c, _h, _w) = ((int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);
        using (var scope = NewDisposeScope())
        {
            _pixels = items.Images.to_type(ScalarType.Byte).cpu().contiguous().data<byte>().ToArray();
            _labels = items.Labels.to_type(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        }
        if (_labels.Length != _n)
            throw new ArgumentException($"scene items from {items.Source}: {_n} images but {_labels.Length} labels");
        foreach (long l in _labels)
            if (l < 0 || l >= items.ClassNames.Count)
                throw new ArgumentException($"scene items from {items.Source}: label {l} is outside the {items.ClassNames.Count} classes");
        ClassNames = items.ClassNames.ToArray();
        _itemsOfClass = Enumerable.Range(0, _n).GroupBy(k => _labels[k]).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
    }

    /// <summary>The parameters in use.</summary>
    public SceneOptions Options { get; }

    /// <summary>The seed.</summary>
    public long Seed { get; }

    /// <summary>Class names, indexed by class id; the class mask holds class id + 1.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Generates scenes <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 in parallel.</summary>
    public Scene[] Generate(int start, int count)
    {
        if (start < 0 || count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"scene range start {start}, count {count} must be non-negative");
        var result = new Scene[count];
        Parallel.For(0, count, i => result[i] = Generate(start + i));
        return result;
    }

    /// <summary>Generates scene number <paramref name="index"/>; the result depends only on the seed, the index, the items and the options.</summary>
    public Scene Generate(int index)
    {
        var rng = new Random(SceneSeed(Seed, index));
        int W = Options.Width, H = Options.Height;
        var rgb = new float[3 * H * W];
        PaintBackground(rng, rgb, W, H);

        var instance = new byte[H * W];
        var classMask = new byte[H * W];
        var visible = new List<int> { 0 };          // visible pixel count per instance id (index 0 unused)
        var classes = new List<int> { -1 };
        int target = rng.Next(Options.MinItems, Options.MaxItems + 1);
        var sceneClasses = SceneClasses(rng);
        int attempts = 0, maxAttempts = 60 * target + 500;
        while (visible.Count - 1 < target)
        {
            if (++attempts > maxAttempts)
            {
                if (visible.Count - 1 >= Options.MinItems) break;
                throw new InvalidOperationException(
                    $"scene {index}: could not place {Options.MinItems} items in {maxAttempts} attempts; make the scene larger, the items smaller or allow more occlusion");
            }
            int k = sceneClasses is null ? rng.Next(_n) : PickFrom(rng, sceneClasses[rng.Next(sceneClasses.Length)]);
            var item = ScaleItem(k, Options.MinScale + rng.NextDouble() * (Options.MaxScale - Options.MinScale), W, H);
            if (item is null || item.Count < Options.MinVisiblePixels) continue;
            // A few positions for this item and scale before drawing another.
            for (int tryPos = 0; tryPos < 8; tryPos++)
            {
                int ox = rng.Next(0, W - item.W + 1), oy = rng.Next(0, H - item.H + 1);
                if (!Fits(item, ox, oy, W, instance, visible)) continue;
                int id = visible.Count;
                visible.Add(item.Count);
                classes.Add((int)_labels[k]);
                Paint(rng, item, ox, oy, W, H, rgb, instance, classMask, id, (int)_labels[k], visible);
                break;
            }
        }

        // Sensor noise over everything, then quantise.
        var image = new byte[3 * H * W];
        for (int p = 0; p < image.Length; p++)
        {
            float v = rgb[p] + (float)(rng.NextDouble() - 0.5) * 0.05f;
            image[p] = (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
        }

        var objects = new List<ObjectAnnotation>();
        var boxes = TightBoxes(instance, W, H, visible.Count - 1);
        for (int id = 1; id < visible.Count; id++)
            objects.Add(new ObjectAnnotation(classes[id], ClassNames[classes[id]], boxes[id - 1], id));
        return new Scene(index, W, H, image, classMask, instance, objects);
    }

    /// <summary>
    /// The item pools of the scene's classes when <see cref="SceneOptions.ClassesPerScene"/> is set (distinct classes,
    /// all of them when fewer have items), else null — and then no random number is drawn, so scenes without the
    /// option are the same as before it existed.
    /// </summary>
    private int[][]? SceneClasses(Random rng)
    {
        if (Options.ClassesPerScene == 0) return null;
        var pools = (int[][])_itemsOfClass.Clone();
        int n = Math.Min(Options.ClassesPerScene, pools.Length);
        for (int i = 0; i < n; i++)   // partial Fisher–Yates: the first n are a uniform draw without replacement
        {
            int j = rng.Next(i, pools.Length);
            (pools[i], pools[j]) = (pools[j], pools[i]);
        }
        return pools[..n];
    }

    private static int PickFrom(Random rng, int[] pool) => pool[rng.Next(pool.Length)];

    /// <summary>
    /// Item <paramref name="item"/> drawn the way scenes draw items — scaled (bilinear), tinted with a random colour,
    /// alpha-blended by intensity onto the same kind of cluttered background, with the same sensor noise — alone in a
    /// <paramref name="side"/> x <paramref name="side"/> patch at a random place. What a classifier that will become a
    /// detector's conv body is pre-trained on (the papers' ImageNet stage), so that it sees items as detection sees them.
    /// Deterministic: depends only on (seed, item, variant, side, options).
    /// </summary>
    /// <param name="item">Index of the item image.</param>
    /// <param name="side">Patch side in pixels (at least 8).</param>
    /// <param name="variant">Which drawing of the item (another variant: another scale, place, tint and background).</param>
    /// <param name="minFill">Smallest size of the item's frame as a fraction of the side.</param>
    /// <param name="maxFill">Largest size of the item's frame as a fraction of the side (at most 1).</param>
    /// <returns>RGB pixels, channel-major <c>[3, side, side]</c>.</returns>
    public byte[] ItemPatch(int item, int side, int variant = 0, double minFill = 0.55, double maxFill = 1.0)
    {
        if ((uint)item >= (uint)_n) throw new ArgumentOutOfRangeException(nameof(item), item, $"item must be in [0, {_n})");
        if (side < 8) throw new ArgumentOutOfRangeException(nameof(side), side, "patch side must be at least 8");
        if (!(minFill > 0 && maxFill >= minFill && maxFill <= 1)) throw new ArgumentException($"fill range {minFill}..{maxFill} must satisfy 0 < min <= max <= 1");
        var rng = new Random(SceneSeed(Seed ^ 0x5EED_1735L, unchecked(item * 7919 + variant)));
        var rgb = new float[3 * side * side];
        PaintBackground(rng, rgb, side, side);
        double fill = minFill + rng.NextDouble() * (maxFill - minFill);
        var scaled = ScaleItem(item, fill * side / Math.Max(_w, _h), side, side);
        if (scaled is not null)
        {
            int ox = rng.Next(0, side - scaled.W + 1), oy = rng.Next(0, side - scaled.H + 1);
            Paint(rng, scaled, ox, oy, side, side, rgb, new byte[side * side], new byte[side * side], 1, (int)_labels[item], [0, scaled.Count]);
        }
        var image = new byte[rgb.Length];
        for (int p = 0; p < image.Length; p++)
        {
            float v = rgb[p] + (float)(rng.NextDouble() - 0.5) * 0.05f;
            image[p] = (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
        }
        return image;
    }

    /// <summary>Class id of item <paramref name="item"/>.</summary>
    public int ItemLabel(int item) => (int)_labels[item];

    /// <summary>Number of item images.</summary>
    public int ItemCount => _n;

    /// <summary>The seed of scene <paramref name="index"/>'s random stream: SplitMix64 of (seed, index).</summary>
    internal static int SceneSeed(long seed, int index)
    {
        static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
        ulong h = Mix(Mix((ulong)seed + 0x9E3779B97F4A7C15UL) + (ulong)(uint)index * 0x9E3779B97F4A7C15UL);
        return (int)(h & 0x7FFFFFFF);
    }

    /// <summary>Tight boxes of instance ids 1..count in an instance mask, exclusive right/bottom edges.</summary>
    internal static Box[] TightBoxes(byte[] instance, int W, int H, int count)
    {
        var x1 = Enumerable.Repeat(int.MaxValue, count + 1).ToArray();
        var y1 = Enumerable.Repeat(int.MaxValue, count + 1).ToArray();
        var x2 = new int[count + 1];
        var y2 = new int[count + 1];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int id = instance[y * W + x];
                if (id == 0 || id > count) continue;
                if (x < x1[id]) x1[id] = x;
                if (y < y1[id]) y1[id] = y;
                if (x + 1 > x2[id]) x2[id] = x + 1;
                if (y + 1 > y2[id]) y2[id] = y + 1;
            }
        var boxes = new Box[count];
        for (int id = 1; id <= count; id++) boxes[id - 1] = new Box(x1[id], y1[id], x2[id], y2[id]);
        return boxes;
    }

    /// <summary>An item after scaling: intensity normalised to max 1, colour (for RGB items), foreground flags.</summary>
    private sealed class ScaledItem
    {
        public int W, H, Count;
        public float[] Intensity = [];
        public float[]? Rgb;           // [3, H, W] for RGB items
        public bool[] Fg = [];
    }

    private ScaledItem? ScaleItem(int k, double scale, int sceneW, int sceneH)
    {
        // Keep the item inside the scene.
        scale = Math.Min(scale, Math.Min((double)sceneW / _w, (double)sceneH / _h));
        int sw = Math.Max(1, (int)Math.Round(_w * scale)), sh = Math.Max(1, (int)Math.Round(_h * scale));
        int plane = _h * _w, offset = k * _c * plane;
        var src = new float[plane];
        for (int p = 0; p < plane; p++)
        {
            float s = 0;
            for (int c = 0; c < _c; c++) s += _pixels[offset + c * plane + p];
            src[p] = s / (255f * _c);
        }
        var item = new ScaledItem { W = sw, H = sh, Intensity = Bilinear(src, _w, _h, sw, sh) };
        if (_c == 3)
        {
            item.Rgb = new float[3 * sw * sh];
            for (int c = 0; c < 3; c++)
            {
                var ch = new float[plane];
                for (int p = 0; p < plane; p++) ch[p] = _pixels[offset + c * plane + p] / 255f;
                Bilinear(ch, _w, _h, sw, sh).CopyTo(item.Rgb, c * sw * sh);
            }
        }
        float max = item.Intensity.Max();
        if (max <= 0) return null;
        item.Fg = new bool[sw * sh];
        float thr = (float)Options.ForegroundThreshold;
        for (int p = 0; p < item.Intensity.Length; p++)
        {
            item.Intensity[p] /= max;
            if (item.Intensity[p] > thr) { item.Fg[p] = true; item.Count++; }
        }
        return item;
    }

    /// <summary>Bilinear resize with half-pixel centres (as torch's interpolate with align_corners = false).</summary>
    internal static float[] Bilinear(float[] src, int w, int h, int dw, int dh)
    {
        var dst = new float[dw * dh];
        float sx = (float)w / dw, sy = (float)h / dh;
        for (int y = 0; y < dh; y++)
        {
            float fy = Math.Max(0, (y + 0.5f) * sy - 0.5f);
            int y0 = Math.Min((int)fy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float wy = fy - y0;
            for (int x = 0; x < dw; x++)
            {
                float fx = Math.Max(0, (x + 0.5f) * sx - 0.5f);
                int x0 = Math.Min((int)fx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
                float wx = fx - x0;
                float top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
                float bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
                dst[y * dw + x] = top * (1 - wy) + bottom * wy;
            }
        }
        return dst;
    }

    private bool Fits(ScaledItem item, int ox, int oy, int W, byte[] instance, List<int> visible)
    {
        if (visible.Count == 1) return true;
        var covered = new int[visible.Count];
        for (int y = 0; y < item.H; y++)
            for (int x = 0; x < item.W; x++)
                if (item.Fg[y * item.W + x]) covered[instance[(oy + y) * W + ox + x]]++;
        for (int id = 1; id < visible.Count; id++)
        {
            if (covered[id] == 0) continue;
            if (covered[id] > Options.MaxOcclusion * visible[id]) return false;
            if (visible[id] - covered[id] < Options.MinVisiblePixels) return false;
        }
        return true;
    }

    private void Paint(Random rng, ScaledItem item, int ox, int oy, int W, int H, float[] rgb,
        byte[] instance, byte[] classMask, int id, int classId, List<int> visible)
    {
        // A random, fairly saturated and bright tint so items stand out from most (not all) clutter.
        var tint = Hsv(rng.NextDouble(), 0.25 + 0.65 * rng.NextDouble(), 0.65 + 0.35 * rng.NextDouble());
        float thr = (float)Options.ForegroundThreshold;
        int plane = H * W, iplane = item.W * item.H;
        for (int y = 0; y < item.H; y++)
            for (int x = 0; x < item.W; x++)
            {
                int q = y * item.W + x;
                if (!item.Fg[q]) continue;
                int p = (oy + y) * W + ox + x;
                float v = item.Intensity[q];
                float alpha = Math.Min(1f, (v - thr) / 0.05f + 0.2f);
                for (int c = 0; c < 3; c++)
                {
                    float colour = item.Rgb is null ? tint[c] * (0.3f + 0.7f * v) : item.Rgb[c * iplane + q];
                    rgb[c * plane + p] = rgb[c * plane + p] * (1 - alpha) + colour * alpha;
                }
                int previous = instance[p];
                if (previous != 0) visible[previous]--;
                instance[p] = (byte)id;
                classMask[p] = (byte)(classId + 1);
            }
    }

    private static float[] Hsv(double h, double s, double v)
    {
        var (r, g, b) = Imaging.ColorSpaces.HsvToRgb(h, s, v);
        return [(float)r, (float)g, (float)b];
    }

    private static SKColor RandomColour(Random rng, byte alphaMin, byte alphaMax) =>
        new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(alphaMin, alphaMax + 1));

    private void PaintBackground(Random rng, float[] rgb, int W, int H)
    {
        int plane = W * H;
        double clutter = Options.Clutter;

        // 1. Smooth colour noise: two octaves of bilinearly interpolated random grids around a base colour.
        var baseColour = Hsv(rng.NextDouble(), 0.2 + 0.6 * rng.NextDouble(), 0.2 + 0.4 * rng.NextDouble());
        foreach (var (cells, amplitude) in new[] { (3 + rng.Next(4), 0.25f), (10 + rng.Next(6), 0.08f) })
        {
            for (int c = 0; c < 3; c++)
            {
                var grid = new float[(cells + 1) * (cells + 1)];
                for (int g = 0; g < grid.Length; g++) grid[g] = (float)(rng.NextDouble() * 2 - 1) * amplitude;
                var up = Bilinear(grid, cells + 1, cells + 1, W, H);
                for (int p = 0; p < plane; p++) rgb[c * plane + p] += up[p] + (amplitude > 0.2f ? baseColour[c] : 0);
            }
        }

        // 2. Lines, curves, blobs and striped patches, drawn by Skia (antialiased) on top.
        using (var bitmap = new SKBitmap(new SKImageInfo(W, H, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            var bytes = new byte[plane * 4];
            for (int p = 0; p < plane; p++)
            {
                for (int c = 0; c < 3; c++) bytes[4 * p + c] = (byte)Math.Clamp((int)MathF.Round(rgb[c * plane + p] * 255f), 0, 255);
                bytes[4 * p + 3] = 255;
            }
            Marshal.Copy(bytes, 0, bitmap.GetPixels(), bytes.Length);
            using (var canvas = new SKCanvas(bitmap))
            {
                int Count(int lo, int hi) => (int)Math.Round(clutter * rng.Next(lo, hi + 1));
                float X() => (float)(rng.NextDouble() * 1.2 - 0.1) * W;
                float Y() => (float)(rng.NextDouble() * 1.2 - 0.1) * H;
                float Size(double lo, double hi) => (float)((lo + rng.NextDouble() * (hi - lo)) * Math.Min(W, H));

                int patches = Count(1, 4);
                for (int i = 0; i < patches; i++)
                {
                    float cx = X(), cy = Y(), pw = Size(0.1, 0.4), ph = Size(0.1, 0.4), period = 2 + (float)rng.NextDouble() * 6;
                    using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(period, period * (float)rng.NextDouble()),
                        [RandomColour(rng, 120, 230), RandomColour(rng, 120, 230)], null, SKShaderTileMode.Mirror);
                    using var paint = new SKPaint { Shader = shader, IsAntialias = true };
                    canvas.Save();
                    canvas.RotateDegrees((float)(rng.NextDouble() * 180), cx, cy);
                    canvas.DrawRect(cx - pw / 2, cy - ph / 2, pw, ph, paint);
                    canvas.Restore();
                }
                int blobs = Count(2, 6);
                for (int i = 0; i < blobs; i++)
                {
                    using var paint = new SKPaint { Color = RandomColour(rng, 70, 200), IsAntialias = true };
                    canvas.DrawOval(X(), Y(), Size(0.03, 0.15), Size(0.03, 0.15), paint);
                }
                int lines = Count(4, 12);
                for (int i = 0; i < lines; i++)
                {
                    using var paint = new SKPaint { Color = RandomColour(rng, 110, 230), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 1 + (float)rng.NextDouble() * 2.5f };
                    if (rng.Next(2) == 0)
                        canvas.DrawLine(X(), Y(), X(), Y(), paint);
                    else
                    {
                        using var path = new SKPath();
                        path.MoveTo(X(), Y());
                        path.CubicTo(X(), Y(), X(), Y(), X(), Y());
                        canvas.DrawPath(path, paint);
                    }
                }
            }
            Marshal.Copy(bitmap.GetPixels(), bytes, 0, bytes.Length);
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++) rgb[c * plane + p] = bytes[4 * p + c] / 255f;
        }

        // 3. Crops of item texture from inside items (almost all pixels foreground, so no item outline shows):
        //    texture alone must not give items away.
        int crops = (int)Math.Round(clutter * rng.Next(2, 6));
        int plane28 = _h * _w;
        float thr = (float)Options.ForegroundThreshold;
        for (int i = 0, tries = 0; i < crops && tries < 20 * crops; tries++)
        {
            int k = rng.Next(_n);
            int cw = Math.Max(2, (int)(_w * (0.2 + 0.25 * rng.NextDouble()))), ch = Math.Max(2, (int)(_h * (0.2 + 0.25 * rng.NextDouble())));
            int cx0 = rng.Next(0, _w - cw + 1), cy0 = rng.Next(0, _h - ch + 1);
            var crop = new float[cw * ch];
            int offset = k * _c * plane28, inside = 0;
            for (int y = 0; y < ch; y++)
                for (int x = 0; x < cw; x++)
                {
                    float s = 0;
                    for (int c = 0; c < _c; c++) s += _pixels[offset + c * plane28 + (cy0 + y) * _w + cx0 + x];
                    crop[y * cw + x] = s / (255f * _c);
                    if (crop[y * cw + x] > thr) inside++;
                }
            if (inside < 0.97 * crop.Length) continue;
            i++;
            float cmax = crop.Max();
            for (int q = 0; q < crop.Length; q++) crop[q] /= cmax;
            double scale = 1.5 + 2 * rng.NextDouble();
            int dw = Math.Min(W, (int)Math.Round(cw * scale)), dh = Math.Min(H, (int)Math.Round(ch * scale));
            var up = Bilinear(crop, cw, ch, dw, dh);
            var tint = Hsv(rng.NextDouble(), 0.2 + 0.7 * rng.NextDouble(), 0.5 + 0.5 * rng.NextDouble());
            float opacity = 0.5f + 0.4f * (float)rng.NextDouble();
            int ox = rng.Next(0, W - dw + 1), oy = rng.Next(0, H - dh + 1);
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                {
                    float v = up[y * dw + x], a = opacity * Math.Min(1f, v / 0.3f);
                    int p = (oy + y) * W + ox + x;
                    for (int c = 0; c < 3; c++) rgb[c * plane + p] = rgb[c * plane + p] * (1 - a) + tint[c] * (0.3f + 0.7f * v) * a;
                }
        }
    }
}
