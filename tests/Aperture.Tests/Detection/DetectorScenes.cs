using Aperture.Data.Scenes;
using Aperture.Detection;
using Aperture.Tests.Data.Scenes;

namespace Aperture.Tests.Detection;

/// <summary>Small in-memory scene sets (real Fashion-MNIST items) for the detector tests.</summary>
internal static class DetectorScenes
{
    public static List<DetectionImage> Make(int count, long seed, int size = 64, int maxItems = 2, bool proposals = true)
    {
        using var items = FashionMnistSample.Load();
        var gen = new SceneGenerator(items, seed, new SceneOptions { Width = size, Height = size, MaxItems = maxItems, MinScale = 0.8, MaxScale = 1.4 });
        var rng = new Random((int)seed);
        var list = new List<DetectionImage>();
        for (int i = 0; i < count; i++)
        {
            var s = gen.Generate(i);
            var im = new DetectionImage($"s{i}", s.ImageTensor(), s.BoxesTensor(), s.LabelsTensor());
            if (proposals)
            {
                using var p = ProposalCache.Jittered(im.Boxes, size, size, perBox: 20, random: 40, jitter: 0.3, rng);
                im.SetProposals(p);
            }
            list.Add(im);
        }
        return list;
    }
}
