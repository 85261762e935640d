using Aperture.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

public class ImageFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-img-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Tensor RandomRgb(int h, int w, long seed)
    {
        var g = new Generator((ulong)seed);
        return randint(0, 256, new long[] { 3, h, w }, dtype: ScalarType.Byte, generator: g);
    }

    [Fact]
    public void PngRoundTripIsExactForRgbAndGrey()
    {
        using var scope = NewDisposeScope();
        var rgb = RandomRgb(17, 23, 1);
        string p = Path.Combine(_dir, "a.png");
        ImageTensor.Write(p, rgb);
        Assert.Equal((23, 17), ImageFile.ReadSize(p));
        Assert.True(ImageTensor.Read(p).equal(rgb).all().item<bool>());

        var grey = rgb.narrow(0, 0, 1).contiguous();
        string q = Path.Combine(_dir, "g.png");
        ImageTensor.Write(q, grey);
        Assert.True(ImageTensor.Read(q, grayscale: true).equal(grey).all().item<bool>());
    }

    [Fact]
    public void AColourFileReadAsGreyIsItsLuma()
    {
        using var scope = NewDisposeScope();
        var rgb = RandomRgb(9, 11, 3);
        string p = Path.Combine(_dir, "c.png");
        ImageTensor.Write(p, rgb);
        var grey = ImageTensor.Read(p, grayscale: true);
        Assert.Equal(new long[] { 1, 9, 11 }, grey.shape);
        var f = rgb.to_type(ScalarType.Float64);
        var luma = (0.299 * f[0] + 0.587 * f[1] + 0.114 * f[2]).round().to_type(ScalarType.Byte).unsqueeze(0);
        Assert.True((grey.to_type(ScalarType.Int32) - luma.to_type(ScalarType.Int32)).abs().max().item<int>() <= 1);
    }

    [Fact]
    public void JpegRoundTripIsClose()
    {
        using var scope = NewDisposeScope();
        // A smooth image: JPEG keeps it within a few levels.
        var ramp = linspace(0, 1, 64).unsqueeze(0).expand(64, 64);
        var img = stack(new[] { ramp, ramp.t(), (ramp + ramp.t()) / 2 });
        string p = Path.Combine(_dir, "a.jpg");
        ImageTensor.Write(p, img);
        var back = ImageTensor.Read(p).to_type(ScalarType.Float32) / 255;
        Assert.True((back - img).abs().mean().item<float>() < 0.02f);
    }

    [Fact]
    public void TruncatedJpegIsAClearError()
    {
        using var scope = NewDisposeScope();
        string p = Path.Combine(_dir, "full.jpg");
        ImageTensor.Write(p, RandomRgb(64, 64, 2));
        byte[] bytes = File.ReadAllBytes(p);
        string cut = Path.Combine(_dir, "cut.jpg");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(cut));
        Assert.Contains(cut, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void NotAnImageAndTooLargeAreClearErrors()
    {
        string p = Path.Combine(_dir, "x.png");
        File.WriteAllText(p, "this is not a PNG");
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(p));
        Assert.Contains(p, e.Message);

        using var scope = NewDisposeScope();
        string big = Path.Combine(_dir, "big.png");
        ImageTensor.Write(big, zeros(3, 100, 100, ScalarType.Byte));
        var e2 = Assert.Throws<InvalidDataException>(() => ImageFile.Decode(big, maxPixels: 5000));
        Assert.Contains("10000 pixels", e2.Message);
        Assert.Throws<FileNotFoundException>(() => ImageFile.Decode(Path.Combine(_dir, "missing.png")));
    }
}
