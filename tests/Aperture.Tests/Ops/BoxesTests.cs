using Aperture.Ops;
using FsCheck;
using FsCheck.Xunit;
using static TorchSharp.torch;

namespace Aperture.Tests.Ops;

public class BoxesTests
{
    private static Tensor RandomBoxes(int seed, int n, float size = 100)
    {
        var rng = new Random(seed);
        var a = new float[n * 4];
        for (int i = 0; i < n; i++)
        {
            float x = (float)rng.NextDouble() * size, y = (float)rng.NextDouble() * size;
            float w = 1 + (float)rng.NextDouble() * size / 2, h = 1 + (float)rng.NextDouble() * size / 2;
            a[4 * i] = x; a[4 * i + 1] = y; a[4 * i + 2] = x + w; a[4 * i + 3] = y + h;
        }
        return tensor(a, new long[] { n, 4 });
    }

    [Fact]
    public void IouMatchesTorchvision()
    {
        var r = Reference.Load("boxes.json");
        using var boxes = Reference.ToTensor(r.GetProperty("boxes"));
        using var expected = Reference.ToTensor(r.GetProperty("iou"));
        using var iou = Boxes.Iou(boxes[..10], boxes[10..20]);
        Assert.Equal(new long[] { 10, 10 }, iou.shape);
        Assert.True(iou.allclose(expected, rtol: 1e-5, atol: 1e-6), "IoU differs from torchvision's box_iou");
    }

    [Theory]
    [InlineData("nms_0.5_keep", 0.5)]
    [InlineData("nms_0.3_keep", 0.3)]
    public void NmsKeepsTheSameIndicesAsTorchvision(string key, double thr)
    {
        var r = Reference.Load("boxes.json");
        using var boxes = Reference.ToTensor(r.GetProperty("boxes"));
        using var scores = Reference.ToTensor(r.GetProperty("scores"));
        using var keep = Boxes.Nms(boxes, scores, thr);
        Assert.Equal(Reference.Longs(r.GetProperty(key)), keep.data<long>().ToArray());
    }

    [Fact]
    public void BatchedNmsKeepsTheSameIndicesAsTorchvision()
    {
        var r = Reference.Load("boxes.json");
        using var boxes = Reference.ToTensor(r.GetProperty("boxes"));
        using var scores = Reference.ToTensor(r.GetProperty("scores"));
        using var classes = tensor(Reference.Longs(r.GetProperty("classes")));
        using var keep = Boxes.BatchedNms(boxes, scores, classes, 0.5);
        Assert.Equal(Reference.Longs(r.GetProperty("batched_nms_0.5_keep")), keep.data<long>().ToArray());
    }

    [Fact]
    public void AreaAndClip()
    {
        using var b = tensor(new float[] { -5, 2, 10, 8, 90, 90, 120, 130 }, new long[] { 2, 4 });
        Assert.Equal(new float[] { 90, 1200 }, Boxes.Area(b).data<float>().ToArray());
        using var c = Boxes.Clip(b, 100, 100);
        Assert.Equal(new float[] { 0, 2, 10, 8, 90, 90, 100, 100 }, c.data<float>().ToArray());
        Boxes.Validate(c, 100, 100);
    }

    [Fact]
    public void MalformedBoxesGiveClearErrors()
    {
        using var nan = tensor(new float[] { 0, 0, float.NaN, 4 }, new long[] { 1, 4 });
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => Boxes.Validate(nan, source: "a.xml")).Message);
        using var neg = tensor(new float[] { 0, 0, 5, 5, 10, 0, 5, 4 }, new long[] { 2, 4 });
        var e = Assert.Throws<ArgumentException>(() => Boxes.Validate(neg, source: "a.xml"));
        Assert.Contains("a.xml", e.Message); Assert.Contains("box 1", e.Message); Assert.Contains("negative size", e.Message);
        using var outside = tensor(new float[] { 0, 0, 50, 50 }, new long[] { 1, 4 });
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => Boxes.Validate(outside, 40, 40)).Message);
        using var wrong = zeros(3, 5);
        Assert.Throws<ArgumentException>(() => Boxes.Iou(wrong, wrong));
        // Empty sets are fine everywhere.
        using var empty = zeros(0, 4);
        Boxes.Validate(empty, 10, 10);
        Assert.Equal(new long[] { 0, 0 }, Boxes.Iou(empty, empty).shape);
        Assert.Equal(0, Boxes.Nms(empty, zeros(0), 0.5).numel());
        Assert.Throws<ArgumentException>(() => Boxes.Nms(outside, tensor(new float[] { float.NaN }), 0.5));
    }

    [Fact]
    public void ZeroAreaBoxesHaveIouZeroNotNaN()
    {
        using var p = tensor(new float[] { 3, 3, 3, 3 }, new long[] { 1, 4 });
        Assert.Equal(0f, Boxes.Iou(p, p).item<float>());
    }

    [Property(MaxTest = 60)]
    public bool IouIsSymmetricBoundedAndOneOnItself(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var a = RandomBoxes(seed.Get, 7);
        var b = RandomBoxes(seed.Get + 1, 5);
        var ab = Boxes.Iou(a, b);
        var ba = Boxes.Iou(b, a);
        var aa = Boxes.Iou(a, a);
        return ab.allclose(ba.t(), 0, 1e-6)
            && (ab >= 0).all().item<bool>() && (ab <= 1).all().item<bool>()
            && aa.diagonal().allclose(ones(7), 0, 1e-6);
    }

    [Property(MaxTest = 60)]
    public bool NmsKeepsSeparatedBoxesAndDropsOnlyCoveredOnes(PositiveInt seed, byte thrByte)
    {
        using var scope = NewDisposeScope();
        double thr = 0.1 + 0.8 * thrByte / 255.0;
        var boxes = RandomBoxes(seed.Get, 40);
        var scores = rand(40, generator: new TorchSharp.torch.Generator((ulong)seed.Get));
        var keep = Boxes.Nms(boxes, scores, thr).data<long>().ToArray();
        var iou = Boxes.Iou(boxes, boxes);
        var s = scores.data<float>().ToArray();
        var iouA = iou.data<float>().ToArray();
        // Kept boxes pairwise at or below the threshold, in decreasing score order.
        for (int i = 0; i < keep.Length; i++)
        {
            if (i > 0 && s[keep[i]] > s[keep[i - 1]]) return false;
            for (int j = i + 1; j < keep.Length; j++)
                if (iouA[keep[i] * 40 + keep[j]] > thr) return false;
        }
        // Every dropped box overlaps a kept box with a higher score by more than the threshold.
        var kept = keep.ToHashSet();
        for (int d = 0; d < 40; d++)
        {
            if (kept.Contains(d)) continue;
            if (!keep.Any(k => s[k] >= s[d] && iouA[k * 40 + d] > thr)) return false;
        }
        return true;
    }

    [Fact]
    public void RemoveSmallKeepsBoxesAtLeastMinSizeOnBothSides()
    {
        // 10x10, 1x10 (too narrow), 10x1.5 (too low), exactly 2x2 (kept: the bound is inclusive), zero-area.
        using var b = tensor(new float[] { 0, 0, 10, 10, 5, 5, 6, 15, 0, 0, 10, 1.5f, 3, 3, 5, 5, 7, 7, 7, 7 }, new long[] { 5, 4 });
        using var keep = Boxes.RemoveSmall(b, 2);
        Assert.Equal(ScalarType.Int64, keep.dtype);
        Assert.Equal(new long[] { 0, 3 }, keep.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, Boxes.RemoveSmall(b, 0).data<long>().ToArray());
        Assert.Equal(0, Boxes.RemoveSmall(b, 11).numel());
        Assert.Equal(0, Boxes.RemoveSmall(zeros(0, 4), 2).numel());
        Assert.Throws<ArgumentException>(() => Boxes.RemoveSmall(zeros(2, 5), 2));
    }

    [Fact]
    public void CleanProposalsClipsDropsSmallAndCaps()
    {
        // Outside on the left (clipped to 0..1: too narrow), a good one, one past the right edge (clipped), a 1-px one, another good one.
        using var p = tensor(new float[] { -20, 0, 1, 10, 2, 2, 12, 12, 30, 5, 60, 25, 4, 4, 5, 20, 0, 0, 8, 8 }, new long[] { 5, 4 });
        using var all = Boxes.CleanProposals(p, 40, 30, 0);
        Assert.Equal(new float[] { 2, 2, 12, 12, 30, 5, 40, 25, 0, 0, 8, 8 }, all.data<float>().ToArray());
        using var two = Boxes.CleanProposals(p, 40, 30, 2);
        Assert.Equal(new float[] { 2, 2, 12, 12, 30, 5, 40, 25 }, two.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => Boxes.CleanProposals(zeros(3), 40, 30, 0));
    }

    [Fact]
    public void BoxIouKnownValues()
    {
        Assert.Equal(1.0 / 3, new Box(0, 0, 2, 1).Iou(new Box(1, 0, 3, 1)), 12);
        Assert.Equal(1.0, new Box(3, 4, 20, 25).Iou(new Box(3, 4, 20, 25)), 12);
        // 10x10 and 10x10 overlapping in 5x5: 25 / 175.
        Assert.Equal(25.0 / 175, new Box(0, 0, 10, 10).Iou(new Box(5, 5, 15, 15)), 12);
        // Contained: 4 / 100.
        Assert.Equal(0.04, new Box(0, 0, 10, 10).Iou(new Box(2, 2, 4, 4)), 12);
        // Touching edges (exclusive x2) and disjoint boxes do not overlap.
        Assert.Equal(0.0, new Box(0, 0, 10, 10).Iou(new Box(10, 0, 20, 10)));
        Assert.Equal(0.0, new Box(0, 0, 1, 1).Iou(new Box(5, 5, 6, 6)));
        // Empty boxes: 0, not NaN.
        Assert.Equal(0.0, new Box(3, 3, 3, 3).Iou(new Box(3, 3, 3, 3)));
        Assert.Equal(0.0, new Box(3, 3, 3, 8).Iou(new Box(0, 0, 10, 10)));
    }

    private static Box ToBox(NormalFloat x, NormalFloat y, NormalFloat w, NormalFloat h)
    {
        // Finite coordinates in [-100, 100) and non-negative sizes up to 100 (zero-area boxes included).
        float X(NormalFloat v) => (float)(v.Get % 100);
        float x1 = X(x), y1 = X(y);
        return new Box(x1, y1, x1 + MathF.Abs(X(w)), y1 + MathF.Abs(X(h)));
    }

    [Property(MaxTest = 200)]
    public bool BoxIouIsSymmetricAndInUnitInterval(NormalFloat ax, NormalFloat ay, NormalFloat aw, NormalFloat ah,
        NormalFloat bx, NormalFloat by, NormalFloat bw, NormalFloat bh)
    {
        var a = ToBox(ax, ay, aw, ah); var b = ToBox(bx, by, bw, bh);
        double ab = a.Iou(b), ba = b.Iou(a);
        return ab == ba && ab >= 0 && ab <= 1;
    }

    [Property(MaxTest = 200)]
    public bool BoxIouWithItselfIsOneWhenNonEmpty(NormalFloat x, NormalFloat y, NormalFloat w, NormalFloat h)
    {
        var a = ToBox(x, y, w, h);
        return a.Width > 0 && a.Height > 0 ? a.Iou(a) == 1 : a.Iou(a) == 0;
    }

    [Property(MaxTest = 60)]
    public bool ScalarBoxIouEqualsTensorIou(PositiveInt seed)
    {
        using var scope = NewDisposeScope();
        var a = RandomBoxes(seed.Get, 6, 40);
        var b = RandomBoxes(seed.Get + 7, 5, 40);
        var iou = Boxes.Iou(a, b).data<float>().ToArray();
        var ba = BoxList.FromTensor(a); var bb = BoxList.FromTensor(b);
        for (int i = 0; i < ba.Length; i++)
            for (int j = 0; j < bb.Length; j++)
                if (Math.Abs(ba[i].Iou(bb[j]) - iou[i * bb.Length + j]) > 1e-6) return false;
        return true;
    }

    [Fact]
    public void BoxCoderRoundTripsAndMatchesThePaper()
    {
        using var p = tensor(new float[] { 10, 20, 30, 60, 0, 0, 8, 4 }, new long[] { 2, 4 });
        using var g = tensor(new float[] { 12, 18, 36, 58, 1, 1, 9, 9 }, new long[] { 2, 4 });
        var coder = new BoxCoder();
        using var d = coder.Encode(p, g);
        // Box 0: P centre (20, 40), size 20x40; G centre (24, 38), size 24x40.
        var d0 = d[0].data<float>().ToArray();
        Assert.Equal(4f / 20, d0[0], 1e-5); Assert.Equal(-2f / 40, d0[1], 1e-5);
        Assert.Equal(MathF.Log(24f / 20), d0[2], 1e-5); Assert.Equal(0f, d0[3], 1e-5);
        using var back = coder.Decode(p, d);
        Assert.True(back.allclose(g, 1e-5, 1e-4));
        var weighted = new BoxCoder(10, 10, 5, 5);
        using var dw = weighted.Encode(p, g);
        Assert.True(dw.allclose(d * tensor(new float[] { 10, 10, 5, 5 }), 1e-5, 1e-5));
        Assert.True(weighted.Decode(p, dw).allclose(g, 1e-5, 1e-4));
        // Per-class deltas [K, 4*C].
        using var two = weighted.Decode(p, cat(new[] { dw, zeros(2, 4) }, 1));
        Assert.True(two[.., 4..].allclose(p, 1e-5, 1e-4));
        using var flat = tensor(new float[] { 5, 5, 5, 9 }, new long[] { 1, 4 });
        Assert.Throws<ArgumentException>(() => coder.Encode(flat, flat));
    }
}
