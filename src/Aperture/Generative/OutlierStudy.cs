using Aperture.Data;
using Aperture.Data.Scenes;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>One set of images that are not Fashion-MNIST test items, and how well a model's likelihood tells them apart.</summary>
/// <param name="Set">Name: <c>uniform noise</c>, <c>flipped</c>, <c>inverted</c>, <c>scene crops</c>.</param>
/// <param name="Auroc">P(a test image scores a higher log-likelihood than an image of the set); 0.5 is chance, below it the
/// model prefers the outliers.</param>
/// <param name="MeanLogLikelihood">The set's mean log-likelihood in nats.</param>
public sealed record OutlierScore(string Set, double Auroc, double MeanLogLikelihood);

/// <summary>
/// Outliers by likelihood: score Fashion-MNIST test images and images that are not — uniform noise, the test images
/// upside down (vertically flipped) and inverted (255 − v), and 28x28 crops of generated scenes (<see cref="SceneGenerator"/>) —
/// and report the AUROC of the log-likelihood as an in-distribution score. Likelihood models are known to score some
/// simple out-of-distribution images higher than their own data (Nalisnick et al., ICLR 2019); the AUROC shows whether
/// that happens here.
/// </summary>
public static class OutlierStudy
{
    /// <summary>The outlier sets, <c>uint8 [N, 1, 28, 28]</c> each, made from <paramref name="test"/> and seeded.</summary>
    /// <param name="test">Fashion-MNIST test images <c>uint8 [N, 1, 28, 28]</c>.</param>
    /// <param name="sceneItems">Items to build scenes from (the test images as labelled items).</param>
    /// <param name="seed">Seed.</param>
    public static IReadOnlyList<(string Name, Tensor Images)> Sets(Tensor test, LabeledImages sceneItems, long seed)
    {
        long n = test.shape[0];
        using var generator = new Generator((ulong)seed);
        var noise = randint(0, 256, [n, 1, 28, 28], generator: generator).to_type(ScalarType.Byte);
        var flipped = test.flip(2).contiguous();
        var inverted = (255 - test.to_type(ScalarType.Int32)).to_type(ScalarType.Byte);
        var scenes = new SceneGenerator(sceneItems, seed, new SceneOptions()).Generate(0, (int)Math.Max(1, (n + 15) / 16));
        var crops = new List<Tensor>();
        using (var scope = NewDisposeScope())
        {
            foreach (var scene in scenes)
            {
                var grey = scene.ImageTensor().to_type(ScalarType.Float32).mean([0L], keepdim: true);   // [1, H, W]
                for (int k = 0; k < 16 && crops.Count < n; k++)
                {
                    int y = (int)randint(0, scene.Height - 28, [1], generator: generator).item<long>();
                    int x = (int)randint(0, scene.Width - 28, [1], generator: generator).item<long>();
                    crops.Add(grey.narrow(1, y, 28).narrow(2, x, 28).round().to_type(ScalarType.Byte).MoveToOuterDisposeScope());
                }
            }
        }
        var crop = stack(crops);
        foreach (var c in crops) c.Dispose();
        return [("uniform noise", noise), ("upside down", flipped), ("inverted", inverted), ("scene crops", crop)];
    }

    /// <summary>The AUROC of each set against the test images under <paramref name="model"/>.</summary>
    /// <param name="model">A fitted model; images are prepared for its kind of data with the fixed seed.</param>
    /// <param name="test">Test images <c>uint8 [N, 1, 28, 28]</c>.</param>
    /// <param name="sets">From <see cref="Sets"/>.</param>
    /// <param name="seed">Seed of the dequantisation or binarisation.</param>
    public static IReadOnlyList<OutlierScore> Score(IDensityModel model, Tensor test, IReadOnlyList<(string Name, Tensor Images)> sets, long seed)
    {
        using var inside = DensityData.Prepare(test, model.Data, seed);
        using var insideLl = model.LogLikelihood(inside);
        var positive = insideLl.data<double>().ToArray();
        var scores = new List<OutlierScore>();
        foreach (var (name, images) in sets)
        {
            using var x = DensityData.Prepare(images, model.Data, seed + 1);
            using var ll = model.LogLikelihood(x);
            var negative = ll.data<double>().ToArray();
            scores.Add(new OutlierScore(name, Likelihood.Auroc(positive, negative), negative.Average()));
        }
        return scores;
    }
}
