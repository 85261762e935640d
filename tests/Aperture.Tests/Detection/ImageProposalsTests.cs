using Aperture.Detection;
using Aperture.Tests.Data;
using static TorchSharp.torch;

namespace Aperture.Tests.Detection;

public class ImageProposalsTests
{
    [Fact]
    public void AnImageFileGetsRankedBoxesInsideItAndTheirDrawing()
    {
        using var dir = new TempDir();
        var scene = DetectorScenes.Make(1, seed: 2, size: 96, proposals: false)[0];
        string file = dir.File("scene.png");
        Aperture.Imaging.ImageTensor.Write(file, scene.Image);
        var r = ImageProposals.Run(file, SelectiveSearchMode.Fast, 300, 0, 1, 20, dir.Path);
        Assert.Equal((96L, 96L, "fast"), (r.Width, r.Height, r.Mode));
        Assert.InRange(r.Count, 10, 300);
        Assert.Equal(r.Count, r.Boxes.Count);
        Assert.All(r.Boxes, b => Assert.True(b[0] >= 0 && b[1] >= 0 && b[2] <= 96 && b[3] <= 96 && b[2] > b[0] && b[3] > b[1]));
        Assert.True(File.Exists(r.Drawn));
        File.WriteAllText(dir.File("bad.png"), "not an image");
        Assert.Throws<InvalidDataException>(() => ImageProposals.Run(dir.File("bad.png"), SelectiveSearchMode.Single, 10, 0, 1, 0, dir.Path));
        scene.Dispose();
    }
}
