using Aperture.Data.Formats;
using Aperture.Data;
using Aperture.Ops;

namespace Aperture.Tests.Data.Formats;

public class CocoFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-coco-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Json(string body)
    {
        string p = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(p, body);
        return p;
    }

    [Fact]
    public void WriteThenReadKeepsBoxesClassesAndMasks()
    {
        // Two overlapping objects on a 6x5 image; object 2 hides part of object 1.
        int W = 6, H = 5;
        var mask = new byte[W * H];
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) mask[y * W + x] = 1;
        for (int y = 2; y < 5; y++) for (int x = 2; x < 6; x++) mask[y * W + x] = 2;
        var objects = new List<ObjectAnnotation>
        {
            new(1, "b", new Box(0, 0, 4, 4), 1),
            new(0, "a", new Box(2, 2, 6, 5), 2),
        };
        var images = new List<ImageAnnotation> { new("i", "i.png", W, H, objects), new("j", "j.png", 8, 8, []) };
        string p = Path.Combine(_dir, "instances.json");
        CocoFormat.Write(p, ["a", "b"], images, k => k == 0 ? mask : null);

        var coco = CocoFormat.Read(p);
        Assert.Equal(["a", "b"], coco.ClassNames);
        Assert.Equal([1L, 2L], coco.CategoryIds);
        Assert.Equal(2, coco.Images.Count);
        Assert.Equal("i.png", coco.Images[0].FileName);
        Assert.Equal(objects, coco.Images[0].Objects);
        Assert.Empty(coco.Images[1].Objects);
        Assert.Equal(mask, coco.InstanceMask(0));
        Assert.Equal(mask.Select(v => v == 0 ? (byte)0 : v == 1 ? (byte)2 : (byte)1).ToArray(), coco.ClassMask(0));
        Assert.Null(coco.InstanceMask(1));
        // The RLE of object 1 covers only its visible pixels: 16 - 4 hidden = 12.
        Assert.Contains("\"area\":12", File.ReadAllText(p));
    }

    [Fact]
    public void CategoriesAreSortedByIdAndPolygonsRasterised()
    {
        string p = Json("""
            {"images":[{"id":5,"file_name":"x.jpg","width":10,"height":8}],
             "categories":[{"id":7,"name":"dog"},{"id":3,"name":"cat"}],
             "annotations":[{"id":1,"image_id":5,"category_id":7,"bbox":[2,2,4,4],"iscrowd":0,
                             "segmentation":[[2,2,6,2,6,6,2,6]]}]}
            """);
        var coco = CocoFormat.Read(p);
        Assert.Equal(["cat", "dog"], coco.ClassNames);
        var o = coco.Images[0].Objects[0];
        Assert.Equal((1, "dog", new Box(2, 2, 6, 6)), (o.ClassId, o.ClassName, o.Box));
        Assert.Equal("5", coco.Images[0].Id);
        var m = coco.InstanceMask(0)!;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 10; x++)
                Assert.Equal(x is >= 2 and < 6 && y is >= 2 and < 6 ? 1 : 0, m[y * 10 + x]);
    }

    [Fact]
    public void CompressedRleStringsAreDecoded()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var counts = Enumerable.Range(0, rng.Next(1, 30)).Select(_ => (long)rng.Next(0, trial % 2 == 0 ? 40 : 100000)).ToList();
            Assert.Equal(counts, CocoFormat.DecodeRleString(PycocotoolsEncode(counts)));
        }
        // A 3x2 mask (H = 3, W = 2), column-major runs: 1 off, 3 on, 2 off.
        string p = Json("""
            {"images":[{"id":1,"file_name":"x.jpg","width":2,"height":3}],
             "categories":[{"id":1,"name":"a"}],
             "annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,2,3],"segmentation":{"counts":"RLE","size":[3,2]}}]}
            """.Replace("RLE", PycocotoolsEncode([1, 3, 2])));
        Assert.Equal(new byte[] { 0, 1, 1, 0, 1, 0 }, CocoFormat.Read(p).InstanceMask(0));
    }

    /// <summary>The compressed RLE string as pycocotools' rleToString writes it (LEB128-like 5-bit groups, deltas from counts[i-2]).</summary>
    private static string PycocotoolsEncode(IReadOnlyList<long> counts)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < counts.Count; i++)
        {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            bool more = true;
            while (more)
            {
                long c = x & 0x1f;
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.Append((char)(c + 48));
            }
        }
        return sb.ToString();
    }

    [Theory]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":4,"image_id":2,"category_id":1,"bbox":[0,0,1,1]}]}""", "points to image 2")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":4,"image_id":1,"category_id":9,"bbox":[0,0,1,1]}]}""", "category_id 9")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":-10,"height":8}],"categories":[],"annotations":[]}""", "size -10x8")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":4,"image_id":1,"category_id":1,"bbox":[5,0,7,1]}]}""", "outside image 1")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":4,"image_id":1,"category_id":1,"bbox":[5,0,0,1]}]}""", "positive width")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"categories":[{"id":1,"name":"a"}],"annotations":[{"id":4,"image_id":1,"category_id":1,"bbox":[0,0,1,1],"segmentation":{"counts":[3,4],"size":[8,10]}}]}""", "bad segmentation")]
    [InlineData("""{"images":[{"id":1,"file_name":"x.jpg","width":10,"height":8}],"annotations":[]}""", "no \"categories\"")]
    [InlineData("""{"images": [""", "not valid JSON")]
    public void BadFilesAreErrorsNamingTheFile(string body, string expected)
    {
        string p = Json(body);
        var e = Assert.Throws<InvalidDataException>(() => CocoFormat.Read(p));
        Assert.Contains(p, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("2")]
    [InlineData("\"yes\"")]
    public void AnIscrowdThatIsNotZeroOrOneNamesTheFileAndTheAnnotation(string iscrowd)
    {
        string p = Json("""
            {"images":[{"id":1,"file_name":"x.png","width":10,"height":8}],
             "categories":[{"id":1,"name":"a"}],
             "annotations":[{"id":9,"image_id":1,"category_id":1,"bbox":[1,1,4,4],"iscrowd":ISCROWD}]}
            """.Replace("ISCROWD", iscrowd));
        var e = Assert.Throws<InvalidDataException>(() => CocoFormat.Read(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("annotation 9", e.Message);
        Assert.Contains("iscrowd", e.Message);
    }

    [Theory]
    [InlineData("[9223372036854775807, 9223372036854775807]")]
    [InlineData("[1e30, 80]")]
    [InlineData("[40, 40, -1, 1]")]
    public void RleCountsThatOverflowAreOneClearError(string counts)
    {
        string p = Json("""
            {"images":[{"id":1,"file_name":"x.png","width":10,"height":8}],
             "categories":[{"id":1,"name":"a"}],
             "annotations":[{"id":3,"image_id":1,"category_id":1,"bbox":[1,1,4,4],"iscrowd":1,
                             "segmentation":{"size":[8,10],"counts":COUNTS}}]}
            """.Replace("COUNTS", counts));
        var e = Assert.Throws<InvalidDataException>(() => CocoFormat.Read(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("segmentation", e.Message);
    }
}
