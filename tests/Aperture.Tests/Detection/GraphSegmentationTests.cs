using System.Text.Json;
using Aperture.Detection;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class GraphSegmentationTests
{
    private static Tensor TwoFlatRegions(int h = 20, int w = 30)
    {
        var img = zeros(3, h, w, ScalarType.Byte);
        img[.., .., (w / 2)..] = tensor((byte)200);
        img[0, .., ..(w / 2)] = tensor((byte)30);
        return img;
    }

    [Fact]
    public void TwoFlatRegionsGiveTwoSegments()
    {
        using var img = TwoFlatRegions();
        using var labels = GraphSegmentation.Segment(img, k: 100, sigma: 0, minSize: 5);
        Assert.Equal(ScalarType.Int32, labels.dtype);
        Assert.Equal(new long[] { 20, 30 }, labels.shape);
        var l = labels.data<int>().ToArray();
        Assert.Equal(2, l.Distinct().Count());
        Assert.Equal(0, l[0]);                       // numbered in raster order
        Assert.Equal(1, l[29]);
        Assert.Equal(0, l[19 * 30 + 14]);
        Assert.Equal(1, l[19 * 30 + 15]);
        // Smoothing blurs the edge into thin strips of in-between colours (their own components, as the
        // algorithm intends); a minimum size above a strip's 20 pixels folds them back into the two regions.
        using var blurred = GraphSegmentation.Segment(img, k: 100, sigma: 0.8, minSize: 30);
        Assert.Equal(2, blurred.data<int>().ToArray().Distinct().Count());
    }

    [Fact]
    public void HugeKGivesOneSegmentAndZeroKKeepsEdges()
    {
        using var img = TwoFlatRegions();
        using var one = GraphSegmentation.Segment(img, k: 1e9, sigma: 0.8, minSize: 1);
        Assert.Single(one.data<int>().ToArray().Distinct());
        // k = 0 with no smoothing: only zero-weight edges merge, so the two flat halves remain.
        using var zero = GraphSegmentation.Segment(img, k: 0, sigma: 0, minSize: 1);
        Assert.Equal(2, zero.data<int>().ToArray().Distinct().Count());
    }

    [Fact]
    public void MinSizeIsRespected()
    {
        var rng = new Random(3);
        var noise = new byte[3 * 40 * 50];
        rng.NextBytes(noise);
        using var img = tensor(noise, new long[] { 3, 40, 50 });
        foreach (int minSize in new[] { 1, 10, 60 })
        {
            using var labels = GraphSegmentation.Segment(img, k: 50, sigma: 0.5, minSize: minSize);
            var counts = labels.data<int>().ToArray().GroupBy(x => x).Select(g => g.Count()).ToArray();
            Assert.True(counts.Min() >= minSize, $"min_size {minSize}: smallest segment has {counts.Min()} pixels");
            Assert.Equal(counts.Length - 1, labels.max().item<int>()); // labels 0..n-1
        }
    }

    [Fact]
    public void SegmentCountsAgreeWithScikitImageOnAPhoto()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "data", "detection");
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "felzenszwalb_skimage.json"))).RootElement;
        using var img = ImageTensor.Read(Path.Combine(dir, "chelsea_small.png"));
        foreach (var run in reference.GetProperty("runs").EnumerateArray())
        {
            double k = run.GetProperty("scale").GetDouble(), sigma = run.GetProperty("sigma").GetDouble();
            int minSize = run.GetProperty("min_size").GetInt32(), expected = run.GetProperty("segments").GetInt32();
            using var labels = GraphSegmentation.Segment(img, k, sigma, minSize);
            int n = labels.max().item<int>() + 1;
            // Same algorithm; only the border handling of the blur and w < vs w <= differ from scikit-image.
            Assert.True(n >= expected / 1.3 && n <= expected * 1.3, $"k={k} sigma={sigma} min_size={minSize}: {n} segments, scikit-image {expected}");
        }
    }

    [Fact]
    public void RadixSortOrdersPackedEdgesStably()
    {
        var rng = new Random(5);
        var keys = Enumerable.Range(0, 20000).Select(_ => (uint)rng.Next(0, 4_000_000)).ToArray();
        keys[7] = keys[3]; // a tie: stable order keeps id 3 before id 7
        var packed = keys.Select((k, i) => ((ulong)k << 32) | (uint)i).ToArray();
        GraphSegmentation.RadixSort(ref packed);
        var ids = packed.Select(v => (int)(uint)v).ToArray();
        Assert.Equal(Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]).ThenBy(i => i), ids);
    }

    [Fact]
    public void BadInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => GraphSegmentation.Segment(zeros(5, 5)));
        Assert.Throws<ArgumentException>(() => GraphSegmentation.Segment(zeros(3, 0, 5)));
        Assert.Throws<ArgumentException>(() => GraphSegmentation.Segment(zeros(3, 5, 5), k: -1));
    }
}
