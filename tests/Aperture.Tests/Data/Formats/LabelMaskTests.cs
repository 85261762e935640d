using Aperture.Data.Formats;
using static TorchSharp.torch;

namespace Aperture.Tests.Data.Formats;

public class LabelMaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-mask-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void GreyMaskRoundTripsExactly()
    {
        using var scope = NewDisposeScope();
        var mask = randint(0, 256, new long[] { 37, 53 }, dtype: ScalarType.Byte, generator: new Generator(3));
        string p = Path.Combine(_dir, "m.png");
        LabelMask.Write(p, mask);
        Assert.True(LabelMask.Read(p).equal(mask).all().item<bool>());

        var bytes = new byte[] { 0, 1, 2, 255, 254, 7 };
        string q = Path.Combine(_dir, "b.png");
        LabelMask.Write(q, bytes, 3, 2);
        var (back, w, h) = LabelMask.ReadBytes(q);
        Assert.Equal((3, 2), (w, h));
        Assert.Equal(bytes, back);
    }

    // A 4x3 indexed PNG with the VOC palette, made by a separate encoder (Python's zlib/struct), indices:
    // [0 1 2 3; 15 20 255 0; 7 7 1 0].
    private const string VocPalettePng = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAMAAACDKl70AAADAFBMVEUAAACAAAAAgACAgAAAAICAAIAAgICAgIBAAADAAABAgADAgABAAIDAAIBAgIDAgIAAQACAQAAAwACAwAAAQICAQIAAwICAwIBAQADAQABAwADAwABAQIDAQIBAwIDAwIAAAECAAEAAgECAgEAAAMCAAMAAgMCAgMBAAEDAAEBAgEDAgEBAAMDAAMBAgMDAgMAAQECAQEAAwECAwEAAQMCAQMAAwMCAwMBAQEDAQEBAwEDAwEBAQMDAQMBAwMDAwMAgAACgAAAggACggAAgAICgAIAggICggIBgAADgAABggADggABgAIDgAIBggIDggIAgQACgQAAgwACgwAAgQICgQIAgwICgwIBgQADgQABgwADgwABgQIDgQIBgwIDgwIAgAECgAEAggECggEAgAMCgAMAggMCggMBgAEDgAEBggEDggEBgAMDgAMBggMDggMAgQECgQEAgwECgwEAgQMCgQMAgwMCgwMBgQEDgQEBgwEDgwEBgQMDgQMBgwMDgwMAAIACAIAAAoACAoAAAIICAIIAAoICAoIBAIADAIABAoADAoABAIIDAIIBAoIDAoIAAYACAYAAA4ACA4AAAYICAYIAA4ICA4IBAYADAYABA4ADA4ABAYIDAYIBA4IDA4IAAIECAIEAAoECAoEAAIMCAIMAAoMCAoMBAIEDAIEBAoEDAoEBAIMDAIMBAoMDAoMAAYECAYEAA4ECA4EAAYMCAYMAA4MCA4MBAYEDAYEBA4EDA4EBAYMDAYMBA4MDA4MAgIACgIAAgoACgoAAgIICgIIAgoICgoIBgIADgIABgoADgoABgIIDgIIBgoIDgoIAgYACgYAAg4ACg4AAgYICgYIAg4ICg4IBgYADgYABg4ADg4ABgYIDgYIBg4IDg4IAgIECgIEAgoECgoEAgIMCgIMAgoMCgoMBgIEDgIEBgoEDgoEBgIMDgIMBgoMDgoMAgYECgYEAg4ECg4EAgYMCgYMAg4MCg4MBgYEDgYEBg4EDg4EBgYMDgYMBg4MDg4MCa7rFGAAAAF0lEQVR4nGNgYGRiZuAX+c/AwM7OyAAACKgBOAax4w8AAAAASUVORK5CYII=";

    [Fact]
    public void VocPalettePngIsMappedBackToIndices()
    {
        string p = Path.Combine(_dir, "voc.png");
        File.WriteAllBytes(p, Convert.FromBase64String(VocPalettePng));
        var (mask, w, h) = LabelMask.ReadBytes(p);
        Assert.Equal((4, 3), (w, h));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 15, 20, 255, 0, 7, 7, 1, 0 }, mask);
        // Known VOC colours: 1 aeroplane = (128, 0, 0), 15 person = (192, 128, 128), 255 void = (224, 224, 192).
        Assert.Equal(((byte)128, (byte)0, (byte)0), LabelMask.VocColour(1));
        Assert.Equal(((byte)192, (byte)128, (byte)128), LabelMask.VocColour(15));
        Assert.Equal(((byte)224, (byte)224, (byte)192), LabelMask.VocColour(255));
    }

    [Fact]
    public void ColourOutsideThePaletteAndNonPngAreErrors()
    {
        using var scope = NewDisposeScope();
        string p = Path.Combine(_dir, "rgb.png");
        var img = zeros(3, 2, 2, ScalarType.Byte);
        img[0, 1, 1] = tensor((byte)13);
        Aperture.Imaging.ImageTensor.Write(p, img);
        var e = Assert.Throws<InvalidDataException>(() => LabelMask.Read(p));
        Assert.Contains(p, e.Message);
        Assert.Contains("(13, 0, 0)", e.Message);

        string j = Path.Combine(_dir, "m.jpg");
        Aperture.Imaging.ImageTensor.Write(j, img);
        var e2 = Assert.Throws<InvalidDataException>(() => LabelMask.Read(j));
        Assert.Contains("not a PNG", e2.Message);
    }
}
