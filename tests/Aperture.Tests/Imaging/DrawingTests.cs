using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Tests.Imaging;

using static TensorAssert;

public class DrawingTests
{
    private static Tensor Grey(int h, int w, byte v = 128) => full(3, h, w, v, ScalarType.Byte);

    private static Tensor Changed(Tensor before, Tensor after) => before.ne(after).any(0); // [H, W] bool

    [Fact]
    public void OnePixelBoxChangesExactlyItsBorder()
    {
        using var scope = NewDisposeScope();
        var img = Grey(40, 50);
        var boxes = tensor(new float[] { 10, 5, 30, 25 }).reshape(1, 4);
        var drawn = BoxDrawing.Draw(img, boxes, style: new BoxStyle { LineWidth = 1, ShowLabels = false });
        Assert.Equal(new long[] { 3, 40, 50 }, drawn.shape);

        var expected = zeros(40, 50, ScalarType.Bool);
        for (int y = 5; y < 25; y++)
            for (int x = 10; x < 30; x++)
                if (y == 5 || y == 24 || x == 10 || x == 29) expected[y, x] = tensor(true);
        Assert.True(Same(Changed(img, drawn), expected));
        var c = Palette.Color(1);
        Assert.Equal(new[] { c.Red, c.Green, c.Blue }, drawn[.., 5, 20].data<byte>().ToArray());
    }

    [Fact]
    public void LineWidthGrowsInwardAndScalesWithImage()
    {
        using var scope = NewDisposeScope();
        var boxes = tensor(new float[] { 100, 100, 300, 300 }).reshape(1, 4);
        var big = Grey(1000, 1000);
        var drawn = BoxDrawing.Draw(big, boxes, style: new BoxStyle { ShowLabels = false });
        // auto width = round(1000 / 200) = 5 rows of the top edge, none outside the box
        var row = Changed(big, drawn)[.., 200];
        Assert.Equal(new[] { false, true, true, true, true, true, false }, row[99..106].data<bool>().ToArray());
    }

    [Fact]
    public void BoxesPartlyOutsideAreClipped()
    {
        using var scope = NewDisposeScope();
        var img = Grey(30, 40);
        var boxes = tensor(new float[] { -10, -10, 10, 10, 35, 25, 60, 50, -100, -100, -50, -50 }).reshape(3, 4);
        var drawn = BoxDrawing.Draw(img, boxes, style: new BoxStyle { LineWidth = 1, ShowLabels = false });
        var changed = Changed(img, drawn);
        Assert.True(changed[9, 5].item<bool>() && changed[5, 9].item<bool>());   // bottom and right edge of box 0
        Assert.False(changed[5, 5].item<bool>());                               // its interior
        Assert.True(changed[25, 38].item<bool>() && changed[28, 35].item<bool>()); // top and left edge of box 1
        Assert.False(changed[29, 39].item<bool>());
        Assert.Equal(10 + 10 - 1 + 5 + 5 - 1, changed.sum().item<long>());  // nothing of box 2

        // With labels and scores, no error either, and the shape is kept.
        var labelled = BoxDrawing.Draw(img, boxes, tensor(new long[] { 0, 1, 2 }), new[] { "Coat", "Bag", "Shirt" },
            tensor(new float[] { 0.93f, 0.5f, 0.1f }));
        Assert.Equal(img.shape, labelled.shape);
    }

    [Fact]
    public void LabelIsDrawnAboveTheBoxWhenAFontExists()
    {
        if (TextFont.Typeface is null) return; // no fonts on this machine: text is left out by design
        using var scope = NewDisposeScope();
        var img = Grey(120, 160);
        var boxes = tensor(new float[] { 40, 60, 120, 110 }).reshape(1, 4);
        var plain = BoxDrawing.Draw(img, boxes, tensor(new long[] { 3 }), style: new BoxStyle { ShowLabels = false });
        var labelled = BoxDrawing.Draw(img, boxes, tensor(new long[] { 3 }), new[] { "a", "b", "c", "Coat" }, tensor(new[] { 0.93f }));
        var extra = Changed(plain, labelled);
        Assert.True(extra[..60, ..].any().item<bool>(), "label background above the box");
        Assert.False(extra[61.., ..].any().item<bool>(), "nothing drawn inside the box below its top edge");
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        using var scope = NewDisposeScope();
        var img = Grey(10, 10);
        Assert.Contains("[K, 4]", Assert.Throws<ArgumentException>(() => BoxDrawing.Draw(img, zeros(2, 3))).Message);
        var e = Assert.Throws<ArgumentException>(() =>
            BoxDrawing.Draw(img, zeros(1, 4), tensor(new long[] { 5 }), new[] { "a", "b" }));
        Assert.Contains("label 5", e.Message);
        Assert.Throws<ArgumentException>(() => BoxDrawing.Draw(zeros(4, 10, 10, ScalarType.Byte), zeros(1, 4)));
    }

    [Fact]
    public void OverlaysWithAlphaZeroLeaveTheImageUnchanged()
    {
        using var scope = NewDisposeScope();
        var img = randint(0, 256, new long[] { 3, 16, 20 }, dtype: ScalarType.Byte, generator: new Generator(7));
        var mask = randint(0, 5, new long[] { 16, 20 }, dtype: ScalarType.Int64, generator: new Generator(8));
        Assert.True(Same(Overlay.Mask(img, mask, alpha: 0, includeBackground: true), img));
        Assert.True(Same(Overlay.Heatmap(img, rand(4, 5, generator: new Generator(9)), alpha: 0), img));
    }

    [Fact]
    public void OpaqueMaskPaintsClassColoursAndSkipsBackground()
    {
        using var scope = NewDisposeScope();
        var img = Grey(6, 6);
        var mask = zeros(6, 6, ScalarType.Int32);
        mask[2, 3] = tensor(2);
        var out1 = Overlay.Mask(img, mask, alpha: 1);
        var c = Palette.Color(2);
        Assert.Equal(new[] { c.Red, c.Green, c.Blue }, out1[.., 2, 3].data<byte>().ToArray());
        Assert.Equal(35, out1.eq(img).all(0).sum().item<long>());
        var half = Overlay.Mask(img, mask, alpha: 0.5);
        Assert.Equal((byte)Math.Round(64 + c.Red / 2.0), half[0, 2, 3].item<byte>());
        Assert.Throws<ArgumentException>(() => Overlay.Mask(img, zeros(5, 6, ScalarType.Int64)));
    }

    [Fact]
    public void HeatmapIsResizedToTheImage()
    {
        using var scope = NewDisposeScope();
        var img = Grey(8, 8);
        var heat = tensor(new float[] { 0, 1, 1, 1 }).reshape(2, 2);
        var out1 = Overlay.Heatmap(img, heat, alpha: 1);
        Assert.Equal(new long[] { 3, 8, 8 }, out1.shape);
        var lut = ColorMap.Viridis.Table();
        Assert.True(Same(out1[.., 0, 0], lut[0]));
        Assert.True(Same(out1[.., 7, 7], lut[255]));
        // In between, bilinear: the heat rises along the top row.
        var row = out1[1, 0, ..].to_type(ScalarType.Int32).data<int>().ToArray(); // viridis green rises
        for (int x = 1; x < 8; x++) Assert.True(row[x] >= row[x - 1]);

        // A NaN in the map does not spoil the colour range of the finite values.
        var withNaN = tensor(new float[] { 0, 1, float.NaN, 1 }).reshape(2, 2);
        var out2 = Overlay.Heatmap(img, withNaN, alpha: 1);
        Assert.True(Same(out2[.., 0, 0], lut[0]));
        Assert.True(Same(out2[.., 0, 7], lut[255]));
    }

    [Fact]
    public void NoBoxesLeavesTheImageAsItIs()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var img = TorchSharp.torch.randint(0, 256, new long[] { 3, 8, 9 }, dtype: TorchSharp.torch.ScalarType.Byte);
        var drawn = BoxDrawing.Draw(img, TorchSharp.torch.zeros(0, 4));
        Assert.True(drawn.equal(img).all().item<bool>());
    }
}
