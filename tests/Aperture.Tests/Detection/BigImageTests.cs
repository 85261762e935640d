using Aperture.Detection;
using Aperture.Imaging;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

/// <summary>Big images run on an area-averaged working copy; boxes come back in the original's pixels.</summary>
public class BigImageTests
{
    [Fact]
    public void WorkingCopySizeKeepsTheAspectAndLeavesSmallImagesAlone()
    {
        Assert.Equal((1200, 1600), ImageScaling.FitWithin(3000, 4000, 1600));
        Assert.Equal((1600, 1600), ImageScaling.FitWithin(8192, 8192, 1600));
        Assert.Equal((1000, 1), ImageScaling.FitWithin(20000, 3, 1000));
        Assert.Equal((300, 400), ImageScaling.FitWithin(300, 400, 1600));
        Assert.Equal((3000, 4000), ImageScaling.FitWithin(3000, 4000, 0));
        using var small = zeros(new long[] { 3, 30, 40 }, ScalarType.Byte);
        Assert.Same(small, ImageScaling.Downscale(small, 40));
    }

    [Fact]
    public void AreaAveragingWeighsCutPixelsByTheirFraction()
    {
        using var scope = NewDisposeScope();
        // Whole cells: 2x2 blocks averaged.
        var a = tensor(new byte[] { 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150 }, new long[] { 1, 4, 4 });
        Assert.Equal(new byte[] { 25, 45, 105, 125 }, ImageScaling.AreaAverage(a, 2, 2).data<byte>().ToArray());
        // 3 -> 2: the middle pixel is split half and half; each output cell covers 1.5 source pixels.
        var b = tensor(new byte[] { 0, 90, 180 }, new long[] { 1, 1, 3 });
        Assert.Equal(new byte[] { 30, 150 }, ImageScaling.AreaAverage(b, 1, 2).data<byte>().ToArray());
        // A constant image stays constant whatever the ratio.
        var c = full(new long[] { 3, 37, 53 }, 77, ScalarType.Byte);
        Assert.All(ImageScaling.AreaAverage(c, 11, 16).data<byte>().ToArray(), v => Assert.Equal(77, v));
    }

    [Fact]
    public void BoxesMapBackToTheOriginalsPixelsWithinItsBounds()
    {
        using var scope = NewDisposeScope();
        var boxes = tensor(new float[] { 0, 0, 400, 300, 10.5f, 20, 30, 40, -1, -1, 401, 301 }, new long[] { 3, 4 });
        var mapped = ImageScaling.MapBack(boxes, 300, 400, 3000, 4000).data<float>().ToArray();
        Assert.Equal(new float[] { 0, 0, 4000, 3000, 105, 200, 300, 400, 0, 0, 4000, 3000 }, mapped);
    }

    [Fact]
    public void SelectiveSearchMemoryFollowsPixelsAndThreadsOnly()
    {
        long twelve = SelectiveSearch.EstimatedBytes(3000, 4000, 2);
        Assert.InRange(twelve, 1_500_000_000L, 2_500_000_000L);
        Assert.Equal(4 * SelectiveSearch.EstimatedBytes(1000, 1000, 2), SelectiveSearch.EstimatedBytes(2000, 2000, 2));
        Assert.True(SelectiveSearch.EstimatedBytes(3000, 4000, 8) > twelve);
        Assert.Equal(SelectiveSearch.EstimatedBytes(3000, 4000, 1), SelectiveSearch.EstimatedBytes(3000, 4000, 0));
    }

    /// <summary>A noisy background with one flat box whose sides are multiples of 5, in a 3000x2000 image.</summary>
    private static Tensor PlantedBox(int x1, int y1, int x2, int y2, int h = 2000, int w = 3000)
    {
        var rng = new Random(3);
        var px = new byte[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    bool inside = x >= x1 && x < x2 && y >= y1 && y < y2;
                    px[(c * h + y) * w + x] = inside ? (byte)(c == 0 ? 220 : 30) : (byte)(100 + 15 * Math.Sin((x + y) * 0.01 + c) + rng.Next(-8, 9));
                }
        return tensor(px, new long[] { 3, h, w });
    }

    [Fact]
    public void ProposalsOfABigImageFindThePlantedBoxInOriginalPixels()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        string file = dir.File("big.png");
        ImageTensor.Write(file, PlantedBox(1235, 565, 2100, 1500));
        var r = ImageProposals.Run(file, SelectiveSearchMode.Single, 0, 0, 0, 5, dir.Path, maxSide: 600);
        Assert.Equal((3000L, 2000L), (r.Width, r.Height));
        Assert.Equal(0.2, r.Scale, 1e-9);
        Assert.All(r.Boxes, b => Assert.True(b[0] >= 0 && b[1] >= 0 && b[2] <= 3000 && b[3] <= 2000 && b[2] > b[0] && b[3] > b[1]));
        var best = r.Boxes.MinBy(b => Math.Abs(b[0] - 1235) + Math.Abs(b[1] - 565) + Math.Abs(b[2] - 2100) + Math.Abs(b[3] - 1500))!;
        Assert.True(Math.Abs(best[0] - 1235) <= 2 && Math.Abs(best[1] - 565) <= 2 && Math.Abs(best[2] - 2100) <= 2 && Math.Abs(best[3] - 1500) <= 2,
            $"closest box {string.Join(", ", best)}");
        // The drawing is of the working copy.
        Assert.Equal(new long[] { 3, 400, 600 }, ImageTensor.Read(r.Drawn!).shape);
    }

    /// <summary>A detector that reports the bounding box of the red pixels of the image it is given.</summary>
    private sealed class RedFinder : IObjectDetector
    {
        public long SeenHeight, SeenWidth;
        public string Method => "red";
        public IReadOnlyList<string> ClassNames => ["red"];
        public bool UsesProposals => false;
        public ImageDetections Detect(Tensor image, Tensor? proposals = null)
        {
            (SeenHeight, SeenWidth) = (image.shape[1], image.shape[2]);
            var red = image[0].gt(128).nonzero(); // [N, 2] (y, x)
            var ys = red[.., 0]; var xs = red[.., 1];
            var box = stack(new[] { xs.min(), ys.min(), xs.max() + 1, ys.max() + 1 }).to_type(ScalarType.Float32).unsqueeze(0);
            return new ImageDetections(box, tensor(new float[] { 1f }), tensor(new long[] { 0 }));
        }
    }

    [Fact]
    public void DetectionOfABigImageRunsOnTheWorkingCopyAndReportsOriginalPixels()
    {
        using var scope = NewDisposeScope();
        var image = PlantedBox(1235, 565, 2100, 1500);
        var detector = new RedFinder();
        var r = ImageDetection.Run(detector, null, image, "big", 0.5, null, maxSide: 600);
        Assert.Equal((400L, 600L), (detector.SeenHeight, detector.SeenWidth));
        Assert.Equal((3000L, 2000L, 0.2), (r.Width, r.Height, Math.Round(r.Scale, 9)));
        var box = Assert.Single(r.Detections).Box;
        Assert.Equal(new float[] { 1235, 565, 2100, 1500 }, box);
        var same = ImageDetection.Run(detector, null, image, "big", 0.5, null, maxSide: 0);
        Assert.Equal((2000L, 3000L, 1.0), (detector.SeenHeight, detector.SeenWidth, same.Scale));
        Assert.Equal(new float[] { 1235, 565, 2100, 1500 }, Assert.Single(same.Detections).Box);
    }
}
