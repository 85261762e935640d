using Aperture.Detection;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class SelectiveSearchTests
{
    /// <summary>A noisy textured background with a few objects (rectangles and ellipses) of distinct colours.</summary>
    private static (Tensor Image, Tensor Truth) Scene(int seed, int h = 160, int w = 200, int objects = 4)
    {
        var rng = new Random(seed);
        var px = new byte[3 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    px[c * h * w + y * w + x] = (byte)Math.Clamp(90 + 25 * Math.Sin((x + 2 * y + 7 * c) * 0.3) + rng.Next(-20, 21), 0, 255);
        var truth = new List<float>();
        for (int o = 0; o < objects; o++)
        {
            int bw = rng.Next(20, 70), bh = rng.Next(20, 70), x0 = rng.Next(0, w - bw), y0 = rng.Next(0, h - bh);
            var col = new[] { rng.Next(256), rng.Next(256), rng.Next(256) };
            bool ellipse = o % 2 == 1;
            for (int y = y0; y < y0 + bh; y++)
                for (int x = x0; x < x0 + bw; x++)
                {
                    double u = (x - x0 + 0.5) / bw - 0.5, v = (y - y0 + 0.5) / bh - 0.5;
                    if (ellipse && u * u + v * v > 0.25) continue;
                    for (int c = 0; c < 3; c++) px[c * h * w + y * w + x] = (byte)Math.Clamp(col[c] + rng.Next(-10, 11), 0, 255);
                }
            truth.AddRange(new float[] { x0, y0, x0 + bw, y0 + bh });
        }
        return (tensor(px, new long[] { 3, h, w }), tensor(truth.ToArray(), new long[] { objects, 4 }));
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.data<float>().ToArray().SequenceEqual(b.data<float>().ToArray());

    [Theory]
    [InlineData(SelectiveSearchMode.Single, 1)]
    [InlineData(SelectiveSearchMode.Fast, 8)]
    [InlineData(SelectiveSearchMode.Quality, 80)]
    public void ModesHaveThePapersStrategies(SelectiveSearchMode mode, int count)
    {
        var s = SelectiveSearch.Strategies(mode);
        Assert.Equal(count, s.Count);
        Assert.Equal(count, s.Distinct().Count());
        if (mode == SelectiveSearchMode.Fast)
            Assert.Equal(new[] { ColorSpace.Hsv, ColorSpace.Lab }, s.Select(x => x.Space).Distinct().ToArray());
    }

    [Fact]
    public void FindsFlatObjectsExactly()
    {
        using var scope = NewDisposeScope();
        var img = zeros(3, 60, 80, ScalarType.Byte);
        img[0, 10..30, 5..25] = tensor((byte)250);
        img[1, 35..55, 40..75] = tensor((byte)200);
        var boxes = SelectiveSearch.Propose(img, SelectiveSearchMode.Single, maxBoxes: 0, seed: 3);
        var truth = tensor(new float[] { 5, 10, 25, 30, 40, 35, 75, 55 }, new long[] { 2, 4 });
        var best = ProposalMetrics.BestOverlaps(boxes, truth);
        Assert.All(best, o => Assert.Equal(1.0, o, 6));
        // The whole image is the top of every hierarchy, so it is among the proposals.
        Assert.Equal(1.0, ProposalMetrics.BestOverlaps(boxes, tensor(new float[] { 0, 0, 80, 60 }, new long[] { 1, 4 }))[0], 1e-6);
    }

    [Fact]
    public void FastModeRecallsObjectsInNoisyScenes()
    {
        using var scope = NewDisposeScope();
        var props = new List<Tensor>(); var truths = new List<Tensor>();
        for (int s = 0; s < 4; s++)
        {
            var (img, truth) = Scene(100 + s);
            props.Add(SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, maxBoxes: 2000, seed: s));
            truths.Add(truth);
        }
        double recall = ProposalMetrics.Recall(props, truths, new[] { 2000 })[0];
        double mabo = ProposalMetrics.Mabo(props, truths);
        Assert.True(recall >= 0.95, $"recall {recall}");
        Assert.True(mabo >= 0.8, $"MABO {mabo}");
    }

    [Fact]
    public void BoxesAreValidUniqueRankedAndSeeded()
    {
        using var scope = NewDisposeScope();
        var (img, _) = Scene(7);
        var a = SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, maxBoxes: 0, seed: 1);
        var b = SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, maxBoxes: 0, seed: 1);
        var c = SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, maxBoxes: 0, seed: 2);
        Assert.True(Same(a, b));
        Assert.False(Same(a, c));                        // another ranking ...
        Assert.Equal(a.shape, c.shape);                  // ... of the same set of boxes
        Boxes.Validate(a, 200, 160);
        var rows = a.data<float>().ToArray().Chunk(4).Select(r => (r[0], r[1], r[2], r[3])).ToList();
        Assert.Equal(rows.Count, rows.Distinct().Count());
        Assert.All(rows, r => Assert.True(r.Item3 > r.Item1 && r.Item4 > r.Item2));
        var top = SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, maxBoxes: 50, seed: 1);
        Assert.True(Same(top, a[..50]));
        // Single-threaded gives the same boxes.
        Assert.True(Same(SelectiveSearch.Propose(img, SelectiveSearchMode.Fast, 0, 1, threads: 1), a));
    }

    /// <summary>
    /// Boxes of the code before the memory-bounded restructuring (commit 95822ca): the restructuring must not change a
    /// single box. Compared as the SHA-256 of the sorted boxes, since issue 13 changed the ranking (the authors' treatment
    /// of initial regions, see <see cref="ProposalRanking"/>) but not the set; the counts are the old code's.
    /// </summary>
    [Theory]
    [InlineData(SelectiveSearchMode.Single, 7, 0, "96:3F63F4CAD75F0C521950BC0B5F148E78DBD2E9F98B2CE214B19CF02921772A9E")]
    [InlineData(SelectiveSearchMode.Fast, 7, 1, "538:EEA1B8B470150FAEB14C6A8D472DC59F297AC65122AFB43E50FD7C23BFECFABF")]
    [InlineData(SelectiveSearchMode.Fast, 101, 3, "566:0E49E4A0A12E38B1A69CE1213EDD6812BEC25C9DE90338A541E3F841719A3072")]
    [InlineData(SelectiveSearchMode.Quality, 5, 2, "1930:BA0AB9D612DF3D9F16CB0E7F414F6D841E743926EFC7764C15797AD815619FF4")]
    public void BoxesAreThoseOfTheCodeBeforeTheMemoryBound(SelectiveSearchMode mode, int scene, long seed, string expected)
    {
        using var scope = NewDisposeScope();
        var (img, _) = Scene(scene);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 0 })
        {
            var boxes = SelectiveSearch.Propose(img, mode, maxBoxes: 0, seed: seed, threads: threads).data<float>().ToArray();
            if (first is null) first = boxes;
            else Assert.Equal(first, boxes); // the same ranking whatever the thread count
            var sorted = boxes.Chunk(4).OrderBy(r => r[0]).ThenBy(r => r[1]).ThenBy(r => r[2]).ThenBy(r => r[3]).SelectMany(r => r).ToArray();
            var bytes = new byte[sorted.Length * 4];
            Buffer.BlockCopy(sorted, 0, bytes, 0, bytes.Length);
            string actual = $"{sorted.Length / 4}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))}";
            Assert.True(expected == actual, $"threads {threads}: got {actual}");
        }
    }

    [Fact]
    public void BadImagesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => SelectiveSearch.Propose(zeros(1, 10, 10, ScalarType.Byte)));
        Assert.Throws<ArgumentException>(() => SelectiveSearch.Propose(zeros(3, 10, 10)));
        Assert.Throws<ArgumentException>(() => SelectiveSearch.Propose(zeros(3, 0, 10, ScalarType.Byte)));
        Assert.Throws<ArgumentException>(() => SelectiveSearch.Propose(zeros(3, 10, 10, ScalarType.Byte), Array.Empty<SelectiveSearchStrategy>()));
        // A flat image is one region: one box, the whole image.
        using var flat = SelectiveSearch.Propose(full(3, 12, 16, (byte)40, ScalarType.Byte), SelectiveSearchMode.Fast);
        Assert.Equal(new float[] { 0, 0, 16, 12 }, flat.data<float>().ToArray());
    }
}
