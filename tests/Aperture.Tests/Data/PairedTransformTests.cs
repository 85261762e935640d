using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Ops;
using FsCheck;
using FsCheck.Xunit;
using static TorchSharp.torch;

namespace Aperture.Tests.Data;

/// <summary>
/// Properties of the paired transforms on random images whose mask is painted from their boxes (each box filled
/// with its label, in order): after any transform the mask is still the painting of the transformed boxes.
/// </summary>
public class PairedTransformTests
{
    /// <summary>A random batch: 1–3 images of 8–24 px with 0–4 integer boxes each (at least <paramref name="minSide"/> px), mask painted from them.</summary>
    private static SampleBatch RandomBatch(int seed, int minSide = 1, ScalarType maskType = ScalarType.Int64)
    {
        var rng = new Random(seed);
        int b = 1 + rng.Next(3), c = 1 + rng.Next(3), h = 8 + rng.Next(17), w = 8 + rng.Next(17);
        var boxes = new List<Tensor>();
        var labels = new List<Tensor>();
        for (int i = 0; i < b; i++)
        {
            int k = rng.Next(5);
            var data = new float[4 * k];
            var lab = new long[k];
            for (int j = 0; j < k; j++)
            {
                int bw = minSide + rng.Next(w - minSide + 1), bh = minSide + rng.Next(h - minSide + 1);
                int x1 = rng.Next(w - bw + 1), y1 = rng.Next(h - bh + 1);
                (data[4 * j], data[4 * j + 1], data[4 * j + 2], data[4 * j + 3]) = (x1, y1, x1 + bw, y1 + bh);
                lab[j] = 1 + rng.Next(5);
            }
            boxes.Add(tensor(data, new long[] { k, 4 }));
            labels.Add(tensor(lab, ScalarType.Int64));
        }
        using var g = new Generator((ulong)seed);
        var images = rand(new long[] { b, c, h, w }, generator: g);
        var masks = stack(Enumerable.Range(0, b).Select(i => Paint(boxes[i], labels[i], h, w)).ToArray()).to_type(maskType);
        return new SampleBatch(images, tensor(Enumerable.Range(0, b).Select(i => (long)i).ToArray()), boxes, labels, masks);
    }

    /// <summary>Mask <c>int64 [H, W]</c>: pixel (y, x) takes the label of the last box with x1 ≤ x &lt; x2 and y1 ≤ y &lt; y2, else 0.</summary>
    private static Tensor Paint(Tensor boxes, Tensor labels, long h, long w)
    {
        var m = new long[h * w];
        var bx = BoxList.FromTensor(boxes);
        var lb = bx.Length == 0 ? [] : labels.data<long>().ToArray();
        for (int k = 0; k < bx.Length; k++)
            for (long y = 0; y < h; y++)
                for (long x = 0; x < w; x++)
                    if (x >= bx[k].X1 && x < bx[k].X2 && y >= bx[k].Y1 && y < bx[k].Y2) m[y * w + x] = lb[k];
        return tensor(m, new long[] { h, w });
    }

    /// <summary>Pixels where the mask differs from the painting of the batch's boxes, per image.</summary>
    private static List<(int Image, long Y, long X)> Mismatches(SampleBatch s)
    {
        var result = new List<(int, long, long)>();
        for (int i = 0; i < s.Size; i++)
        {
            var painted = Paint(s.Boxes![i], s.BoxLabels![i], s.Height, s.Width).data<long>().ToArray();
            var mask = s.Masks![i].to_type(ScalarType.Int64).data<long>().ToArray();
            for (int p = 0; p < mask.Length; p++)
                if (mask[p] != painted[p]) result.Add((i, p / s.Width, p % s.Width));
        }
        return result;
    }

    /// <summary>Every box lies inside the image and is at least one pixel wide and high; each has a label.</summary>
    private static bool BoxesInside(SampleBatch s)
    {
        for (int i = 0; i < s.Size; i++)
        {
            if (s.BoxLabels![i].shape[0] != s.Boxes![i].shape[0]) return false;
            foreach (var box in BoxList.FromTensor(s.Boxes[i]))
                if (!box.IsValidIn((int)s.Width, (int)s.Height) || box.Width < 1 || box.Height < 1) return false;
        }
        return true;
    }

    private static bool Eq(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static bool Same(SampleBatch a, SampleBatch b) =>
        Eq(a.Images, b.Images) && Eq(a.Masks!, b.Masks!) && Eq(a.Labels!, b.Labels!)
        && Enumerable.Range(0, (int)a.Size).All(i => Eq(a.Boxes![i], b.Boxes![i]) && Eq(a.BoxLabels![i], b.BoxLabels![i]));

    /// <summary>A random crop size that fits the padded batch.</summary>
    private static RandomCrop RandomCropFor(SampleBatch s, int seed)
    {
        var rng = new Random(seed ^ 0x5EED);
        int pad = rng.Next(5);
        int h = 1 + rng.Next((int)s.Height + 2 * pad), w = 1 + rng.Next((int)s.Width + 2 * pad);
        return new RandomCrop(h, w, pad);
    }

    [Property(MaxTest = 80)]
    public bool CropMovesMaskAndBoxesTogether(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(seed.Get);
        var crop = RandomCropFor(s, seed.Get);
        using var g = new Generator((ulong)seed.Get);
        var t = crop.Apply(s, g);
        return t.Images.shape.SequenceEqual(new[] { s.Size, s.Images.shape[1], crop.Height, crop.Width })
            && t.Masks!.shape.SequenceEqual(new[] { s.Size, (long)crop.Height, crop.Width })
            && t.Masks.dtype == s.Masks!.dtype && Eq(t.Labels!, s.Labels!)
            && BoxesInside(t) && Mismatches(t).Count == 0;
    }

    [Property(MaxTest = 80)]
    public bool FlipMovesMaskAndBoxesTogetherAndTwiceIsIdentity(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(seed.Get, maskType: ScalarType.Byte);
        using var g = new Generator((ulong)seed.Get);
        var half = new RandomHorizontalFlip(0.5).Apply(s, g);
        var once = new RandomHorizontalFlip(1).Apply(s, g);
        var twice = new RandomHorizontalFlip(1).Apply(once, g);
        return BoxesInside(half) && Mismatches(half).Count == 0
            && BoxesInside(once) && Mismatches(once).Count == 0
            && Eq(once.Images, s.Images.flip(3))
            && Same(twice, s);
    }

    [Property(MaxTest = 60)]
    public bool ResizeKeepsTheMaskThePaintingOfTheBoxesWithinOnePixel(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(seed.Get, minSide: 3);
        var rng = new Random(seed.Get);
        // Between half and twice the size, so no 3-pixel box shrinks under one pixel and none is dropped.
        int h = (int)Math.Max(1, s.Height / 2 + rng.Next((int)s.Height * 3 / 2 + 1));
        int w = (int)Math.Max(1, s.Width / 2 + rng.Next((int)s.Width * 3 / 2 + 1));
        var mode = rng.Next(2) == 0 ? ResizeMode.Bilinear : ResizeMode.Area;
        using var g = new Generator(0);
        var t = new Resize(h, w, mode).Apply(s, g);
        if (!t.Images.shape.SequenceEqual(new long[] { s.Size, s.Images.shape[1], h, w }) || !BoxesInside(t)) return false;
        for (int i = 0; i < s.Size; i++)
            if (t.Boxes![i].shape[0] != s.Boxes![i].shape[0]) return false;
        foreach (var (i, y, x) in Mismatches(t))
        {
            // Allowed only at a box border: within one pixel of one of its edges.
            bool nearBorder = BoxList.FromTensor(t.Boxes![i]).Any(bx =>
                x >= bx.X1 - 1 && x <= bx.X2 && y >= bx.Y1 - 1 && y <= bx.Y2
                && (Math.Abs(x - bx.X1) <= 1 || Math.Abs(x + 1 - bx.X2) <= 1 || Math.Abs(y - bx.Y1) <= 1 || Math.Abs(y + 1 - bx.Y2) <= 1));
            if (!nearBorder) return false;
        }
        return true;
    }

    [Property(MaxTest = 40)]
    public bool CropWithoutPaddingAtFullSizeIsIdentity(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(seed.Get);
        using var g = new Generator((ulong)seed.Get);
        return Same(new RandomCrop((int)s.Height, (int)s.Width, 0).Apply(s, g), s)
            && Same(new Resize((int)s.Height, (int)s.Width).Apply(s, g), s);
    }

    [Property(MaxTest = 40)]
    public bool ComposedPipelineIsSeededAndKeepsMaskAndBoxesTogether(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(seed.Get);
        var pipeline = new Compose(RandomCropFor(s, seed.Get), new RandomHorizontalFlip(), new Normalize(0.5f, 0.25f));
        SampleBatch Run(ulong genSeed) { using var g = new Generator(genSeed); return pipeline.Apply(s, g); }
        var a = Run((ulong)seed.Get);
        var b = Run((ulong)seed.Get);
        return Same(a, b) && BoxesInside(a) && Mismatches(a).Count == 0;
    }

    [Fact]
    public void DifferentGeneratorSeedsGiveDifferentCrops()
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(5);
        var crop = new RandomCrop((int)s.Height, (int)s.Width, 4);
        var results = Enumerable.Range(0, 6).Select(i => { using var g = new Generator((ulong)i); return crop.Apply(s, g); }).ToList();
        Assert.Contains(results.Skip(1), r => !Same(r, results[0]));
    }

    [Fact]
    public void PaddingFillsTheMaskWithTheChosenClassAndBoxesAreClippedToTheCrop()
    {
        using var scope = NewDisposeScope();
        var images = ones(1, 1, 4, 4);
        var masks = full(new long[] { 1, 4, 4 }, 3L, ScalarType.Int64);
        var s = new SampleBatch(images, null, [tensor(new float[] { 0, 0, 4, 4 }, new long[] { 1, 4 })], [tensor(new long[] { 3 })], masks);
        using var g = new Generator(1);
        var t = new RandomCrop(8, 8, 2, maskFill: 255).Apply(s, g);   // the padded image is exactly 8x8: offset 0
        Assert.Equal(255L, t.Masks![0, 0, 0].item<long>());
        Assert.Equal(3L, t.Masks[0, 2, 2].item<long>());
        Assert.Equal(new float[] { 2, 2, 6, 6 }, t.Boxes![0].data<float>().ToArray());
        // Box 3.5 px wide at the left edge, a 7-px window of a 10-px image starting at 0..3: when it starts at 3 only
        // half a pixel of the box is left, and the box is dropped with its label.
        var far = new SampleBatch(ones(1, 1, 10, 10), null, [tensor(new float[] { 0, 0, 3.5f, 3 }, new long[] { 1, 4 })], [tensor(new long[] { 1 })]);
        int kept = 0, dropped = 0;
        for (ulong seed = 0; seed < 40; seed++)
        {
            using var gs = new Generator(seed);
            var cut = new RandomCrop(10, 7, 0).Apply(far, gs);
            Assert.Equal(cut.Boxes![0].shape[0], cut.BoxLabels![0].shape[0]);
            if (cut.Boxes[0].shape[0] == 0) dropped++;
            else { kept++; Assert.True(cut.Boxes[0][0, 2].item<float>() >= 1); }
        }
        Assert.True(kept > 0 && dropped > 0, $"kept {kept}, dropped {dropped}");
    }

    [Fact]
    public void ComposeRejectsAnImageOnlyStepOnTargets()
    {
        using var scope = NewDisposeScope();
        var s = RandomBatch(3);
        using var g = new Generator(1);
        var c = new Compose(new RandomHorizontalFlip(), new ImageOnly());
        Assert.Throws<InvalidOperationException>(() => c.Apply(s, g));
        Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(new SampleBatch(s.Images, Masks: s.Masks![.., 1..]), g));
    }

    [Fact]
    public void DataLoaderSamplesCarryTheSameNumbersAsItsBatches()
    {
        using var scope = NewDisposeScope();
        var images = randint(0, 256, new long[] { 20, 1, 8, 8 }).to_type(ScalarType.Byte);
        var labels = arange(20, dtype: ScalarType.Int64);
        var data = new LabeledImages(images, labels, Enumerable.Range(0, 20).Select(i => $"c{i}").ToList(), "test");
        var loader = new DataLoader(data, 6, seed: 4, transform: new Compose(new RandomCrop(8, 2), new RandomHorizontalFlip()), prefetch: 0);
        var batches = loader.Epoch(2).ToList();
        var samples = loader.Samples(2).ToList();
        Assert.Equal(batches.Count, samples.Count);
        for (int i = 0; i < batches.Count; i++)
        {
            Assert.True(Eq(batches[i].Images, samples[i].Images));
            Assert.True(Eq(batches[i].Labels, samples[i].Labels!));
            batches[i].Dispose();
            samples[i].Dispose();
        }
    }

    private sealed class ImageOnly : IBatchTransform
    {
        public Tensor Apply(Tensor images, Generator generator) => images.alias();
    }
}
