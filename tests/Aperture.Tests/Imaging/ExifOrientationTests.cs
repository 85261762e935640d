using Aperture.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

/// <summary>
/// A phone photo stores its pixels sideways and an EXIF orientation tag; decoding must show it as a viewer does.
/// The files here are JPEGs written by Skia with an APP1 "Exif" segment inserted by hand after the SOI marker
/// (a big-endian TIFF header and one IFD entry: tag 0x0112, SHORT, the orientation).
/// </summary>
public class ExifOrientationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aperture-exif-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] WithOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff = [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        byte[] app1 = [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
        return [jpeg[0], jpeg[1], .. app1, .. jpeg.AsSpan(2)];
    }

    /// <summary>A 48x32 (W x H) JPEG of flat 16-px blocks, so decoding is exact away from block edges.</summary>
    private string Plain()
    {
        using var bitmap = new SKBitmap(48, 32);
        using (var canvas = new SKCanvas(bitmap))
            for (int by = 0; by < 2; by++)
                for (int bx = 0; bx < 3; bx++)
                    canvas.DrawRect(bx * 16, by * 16, 16, 16, new SKPaint { Color = new SKColor((byte)(bx * 120), (byte)(by * 200), 60) });
        string path = Path.Combine(_dir, "plain.jpg");
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(3), InlineData(4), InlineData(5), InlineData(6), InlineData(7), InlineData(8)]
    public void EveryOrientationIsTurnedAsAViewerShowsIt(int orientation)
    {
        using var scope = NewDisposeScope();
        string plain = Plain(), turned = Path.Combine(_dir, $"o{orientation}.jpg");
        File.WriteAllBytes(turned, WithOrientation(File.ReadAllBytes(plain), orientation));
        var stored = ImageTensor.Read(plain);   // [3, 32, 48]
        var viewed = ImageTensor.Read(turned);

        // What a viewer does, written as tensor ops: flip/transpose of the stored [C, H, W] pixels.
        var expected = orientation switch
        {
            1 => stored,
            2 => stored.flip(2),
            3 => stored.flip(1, 2),
            4 => stored.flip(1),
            5 => stored.transpose(1, 2),
            6 => stored.transpose(1, 2).flip(2),   // rotate 90° clockwise
            7 => stored.transpose(1, 2).flip(1, 2),
            _ => stored.transpose(1, 2).flip(1),   // 8: rotate 90° counter-clockwise
        };
        Assert.Equal(expected.shape, viewed.shape);
        Assert.True(expected.equal(viewed).all().item<bool>(), $"orientation {orientation}: pixels not moved as a viewer moves them");
        var (w, h) = ImageFile.ReadSize(turned);
        Assert.Equal((int)viewed.shape[2], w);
        Assert.Equal((int)viewed.shape[1], h);
    }

    [Fact]
    public void TheTopLeftCornerOfAPhoneShotUprightIsTheStoredBottomLeft()
    {
        // Tag 6 (the usual upright phone shot): the viewed top-left pixel is the stored bottom-left one.
        using var scope = NewDisposeScope();
        string plain = Plain(), turned = Path.Combine(_dir, "o6.jpg");
        File.WriteAllBytes(turned, WithOrientation(File.ReadAllBytes(plain), 6));
        var stored = ImageTensor.Read(plain);
        var viewed = ImageTensor.Read(turned);
        Assert.Equal(new long[] { 3, 48, 32 }, viewed.shape);
        Assert.True(viewed[.., 0, 0].equal(stored[.., 31, 0]).all().item<bool>());
        Assert.True(viewed[.., 0, 31].equal(stored[.., 0, 0]).all().item<bool>());
    }
}
