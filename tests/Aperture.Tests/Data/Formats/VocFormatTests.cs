using Aperture.Data.Formats;
using Aperture.Data;
using Aperture.Ops;
using FsCheck;
using FsCheck.Xunit;

namespace Aperture.Tests.Data.Formats;

public class VocFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-voc-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Classes = ["cat", "dog", "person"];

    private string Xml(string name, string body)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllText(p, body);
        return p;
    }

    private static string Annotation(string objects, string size = "<size><width>100</width><height>80</height><depth>3</depth></size>") =>
        $"<annotation><filename>a.jpg</filename>{size}{objects}</annotation>";

    private static string Obj(string name, string xmin, string ymin, string xmax, string ymax) =>
        $"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>";

    [Fact]
    public void ReadsVocOneBasedInclusiveCoordinates()
    {
        // A box over the first 5 columns and rows 10..19 (1-based) is x1 = 0, x2 = 5, y1 = 9, y2 = 19.
        var ann = VocFormat.ReadAnnotation(Xml("a.xml", Annotation(Obj("dog", "1", "10", "5", "19") + Obj("cat", "100", "80", "100", "80"))), Classes);
        Assert.Equal((100, 80, "a.jpg"), (ann.Width, ann.Height, ann.FileName));
        Assert.Equal(new Box(0, 9, 5, 19), ann.Objects[0].Box);
        Assert.Equal(1, ann.Objects[0].ClassId);
        // A one-pixel box in the bottom-right corner is valid.
        Assert.Equal(new Box(99, 79, 100, 80), ann.Objects[1].Box);
        Assert.Equal(2, ann.Objects[1].InstanceId);
    }

    [Fact]
    public void WriteThenReadGivesTheSameAnnotation()
    {
        var objects = new List<ObjectAnnotation>
        {
            new(2, "person", new Box(0, 0, 100, 80), 1),
            new(0, "cat", new Box(10.5f, 3.25f, 20, 30.75f), 2, Difficult: true),
        };
        var ann = new ImageAnnotation("x", "x.png", 100, 80, objects);
        string p = Path.Combine(_dir, "x.xml");
        VocFormat.WriteAnnotation(p, ann);
        var back = VocFormat.ReadAnnotation(p, Classes);
        Assert.Equal(ann.FileName, back.FileName);
        Assert.Equal(objects, back.Objects);
        Assert.Contains("<xmin>1</xmin>", File.ReadAllText(p));
        Assert.Contains("<xmax>100</xmax>", File.ReadAllText(p));
    }

    [Fact]
    public void DoctypeAndEntitiesAreRejected()
    {
        string p = Xml("dtd.xml", "<?xml version=\"1.0\"?><!DOCTYPE annotation [<!ENTITY x \"dog\">]>" + Annotation(Obj("&x;", "1", "1", "5", "5")));
        var e = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(p, Classes));
        Assert.Contains(p, e.Message);
        Assert.Contains("DTD", e.Message);

        string q = Xml("ext.xml", "<?xml version=\"1.0\"?><!DOCTYPE annotation SYSTEM \"file:///etc/passwd\">" + Annotation(""));
        var e2 = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(q, Classes));
        Assert.Contains(q, e2.Message);
    }

    [Theory]
    [InlineData("0", "1", "5", "5", "outside")]
    [InlineData("1", "1", "101", "5", "outside")]
    [InlineData("1", "1", "5", "81", "outside")]
    [InlineData("6", "1", "5", "5", "empty")]
    [InlineData("1", "abc", "5", "5", "'abc', not a number")]
    public void BadBoxesAreErrorsNamingTheFile(string xmin, string ymin, string xmax, string ymax, string expected)
    {
        string p = Xml("bad.xml", Annotation(Obj("cat", xmin, ymin, xmax, ymax)));
        var e = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(p, Classes));
        Assert.Contains(p, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownClassListsTheKnownOnes()
    {
        string p = Xml("u.xml", Annotation(Obj("zebra", "1", "1", "5", "5")));
        var e = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(p, Classes));
        Assert.Contains(p, e.Message);
        Assert.Contains("'zebra'", e.Message);
        Assert.Contains("cat, dog, person", e.Message);
    }

    [Fact]
    public void MissingSizeAndMalformedXmlAreErrors()
    {
        string p = Xml("nosize.xml", Annotation(Obj("cat", "1", "1", "5", "5"), size: ""));
        var e = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(p, Classes));
        Assert.Contains(p, e.Message);
        Assert.Contains("<size>", e.Message);

        string q = Xml("broken.xml", "<annotation><size>");
        var e2 = Assert.Throws<InvalidDataException>(() => VocFormat.ReadAnnotation(q, Classes));
        Assert.Contains(q, e2.Message);
    }

    [Fact]
    public void ImageSetsRoundTripAndMissingSplitListsPresentOnes()
    {
        VocFormat.WriteImageSet(_dir, "train", ["a", "b"]);
        VocFormat.WriteImageSet(_dir, "val", ["c"]);
        Assert.Equal(["a", "b"], VocFormat.ReadImageSet(_dir, "train"));
        var e = Assert.Throws<FileNotFoundException>(() => VocFormat.ReadImageSet(_dir, "test"));
        Assert.Contains("train, val", e.Message);
    }

    [Property]
    public void IntegerBoxesSurviveVocConversionExactly(NonNegativeInt x, NonNegativeInt y, PositiveInt w, PositiveInt h)
    {
        var box = new Box(x.Get, y.Get, x.Get + w.Get, y.Get + h.Get);
        var (xmin, ymin, xmax, ymax) = VocFormat.ToVoc(box);
        // VOC's inclusive width equals ours.
        Assert.Equal(box.Width, xmax - xmin + 1);
        Assert.Equal(box.Height, ymax - ymin + 1);
        Assert.Equal(box, VocFormat.FromVoc(xmin, ymin, xmax, ymax));
    }

    [Property]
    public void FractionalBoxesSurviveVocConversionWithinRounding(NormalFloat x, NormalFloat y, NormalFloat w, NormalFloat h)
    {
        float x1 = (float)Math.Abs(x.Get % 1000), y1 = (float)Math.Abs(y.Get % 1000);
        var box = new Box(x1, y1, x1 + (float)Math.Abs(w.Get % 1000), y1 + (float)Math.Abs(h.Get % 1000));
        var (xmin, ymin, xmax, ymax) = VocFormat.ToVoc(box);
        var back = VocFormat.FromVoc(xmin, ymin, xmax, ymax);
        Assert.Equal(box.X2, back.X2);
        Assert.Equal(box.Y2, back.Y2);
        Assert.True(Math.Abs(box.X1 - back.X1) <= 1e-4 && Math.Abs(box.Y1 - back.Y1) <= 1e-4, $"{box} -> {back}");
    }

    [Property(MaxTest = 50)]
    public void FractionalBoxesSurviveTheXmlFile(PositiveInt seed)
    {
        var rng = new Random(seed.Get);
        float x1 = (float)(rng.NextDouble() * 50), y1 = (float)(rng.NextDouble() * 40);
        var box = new Box(x1, y1, x1 + 1 + (float)(rng.NextDouble() * 49), y1 + 1 + (float)(rng.NextDouble() * 39));
        string p = Path.Combine(_dir, $"p{seed.Get}.xml");
        VocFormat.WriteAnnotation(p, new ImageAnnotation("p", "p.png", 100, 80, [new ObjectAnnotation(0, "cat", box, 1)]));
        var back = VocFormat.ReadAnnotation(p, Classes).Objects[0].Box;
        Assert.True(Math.Abs(box.X1 - back.X1) <= 1e-4 && Math.Abs(box.Y1 - back.Y1) <= 1e-4 && box.X2 == back.X2 && box.Y2 == back.Y2, $"{box} -> {back}");
    }
}
