using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative.Gan;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>A trained generator, whatever its family: a name and a way to draw images <c>[N, 1, 28, 28]</c> in [0, 1].</summary>
/// <param name="Name">Its label in the table (the method name).</param>
/// <param name="Sample">(count, seed) → images on the CPU.</param>
public sealed record TrainedGenerator(string Name, Func<int, long, Tensor> Sample)
{
    /// <summary>
    /// Opens a run of <c>train gan</c> (the generator, or its moving average) or of <c>train density</c> (a model that can
    /// sample; the VAE gives its decoder means, as <c>aperture sample</c> draws them, not Gaussian pixel noise).
    /// </summary>
    /// <exception cref="InvalidDataException">Another family, or a density model that cannot draw images.</exception>
    public static TrainedGenerator Open(string run, Device device)
    {
        var card = ModelCard.Read(RunFolder.Checkpoint(run));
        if (card.Family == ModelFamily.Gan)
        {
            var (sampler, gan) = Gans.Load(run, device);
            return new TrainedGenerator(gan.Method, (n, seed) => sampler.Sample(n, seed).Images);
        }
        if (card.Family == ModelFamily.DensityModel)
        {
            var (model, density) = DensityModels.Load(run, device);
            return new TrainedGenerator(density.Method, (n, seed) =>
            {
                var flat = model is VariationalAutoencoder vae ? vae.SampleMeans(n, seed) : model.Sample(n, seed);
                return DensityData.ToImages(flat.cpu());
            });
        }
        throw new InvalidDataException($"{run}: a {ModelFamily.Describe(card.Family)} does not generate images; give a run of 'train gan' or 'train density'");
    }
}

/// <summary>One generator's row of the comparison.</summary>
/// <param name="Generator">Its name.</param>
/// <param name="Frechet">Fréchet distance of its samples to the test images on the classifier's features.</param>
/// <param name="Parzen">The Parzen-window log-likelihood, or null when not asked for.</param>
public sealed record GeneratorRow(string Generator, double Frechet, ParzenResults? Parzen);

/// <summary>The table of item 3 of issue 10 across generators.</summary>
/// <param name="Classifier">The classifier whose penultimate features the distances use.</param>
/// <param name="Samples">Samples per generator.</param>
/// <param name="TestImages">Test images compared against.</param>
/// <param name="RealVsReal">The floor: training images against the test images, as many as the samples.</param>
/// <param name="RealParzen">The Parzen estimate centred on real training images (the reference the GAN paper does not print).</param>
/// <param name="Rows">One row per generator.</param>
public sealed record GeneratorTable(string Classifier, int Samples, long TestImages, double RealVsReal, ParzenResults? RealParzen, IReadOnlyList<GeneratorRow> Rows);

/// <summary>
/// Compares generators of every family on the same footing: the Fréchet distance (<see cref="FrechetDistance"/>) on our
/// own Fashion-MNIST classifier's features between the test images and N samples of each generator, with real training
/// images as the floor — not comparable with Inception FIDs — and, when asked, the Parzen-window log-likelihood
/// (<see cref="ParzenWindow"/>) with real training images as a reference row.
/// </summary>
public static class GeneratorComparison
{
    /// <summary>Runs it.</summary>
    /// <param name="classifierRun">A run of <c>train classify</c> (LeNet-5 or VGG-GAP) on Fashion-MNIST.</param>
    /// <param name="generators">The generators.</param>
    /// <param name="train">Training images (the floor; Parzen's validation images are the last 1,000 of them); not disposed.</param>
    /// <param name="test">Test images (all used for the distance); not disposed.</param>
    /// <param name="count">Samples per generator (10,000 in the papers).</param>
    /// <param name="seed">Seed of the samples.</param>
    /// <param name="parzenTest">Test images the Parzen estimate scores (0: none, no Parzen column).</param>
    public static GeneratorTable Run(string classifierRun, IReadOnlyList<TrainedGenerator> generators, LabeledImages train, LabeledImages test,
        int count, long seed, int parzenTest)
    {
        if (count < 2) throw new ArgumentException($"--count must be >= 2 for a Fréchet distance (got {count})");
        if (parzenTest < 0) throw new ArgumentException($"--parzen must be >= 0 (got {parzenTest})");
        if (count + 1000 > train.Count) throw new ArgumentException($"--count {count}: need {count + 1000} training images for the floor and the validation set, have {train.Count}");
        var (model, spec) = ClassifierSpec.Load(classifierRun);
        using var scope = NewDisposeScope();
        var (realF, _) = SampleQuality.Features(model, spec, test.Images.to(ScalarType.Float32).div(255));
        var floorImages = train.Images.narrow(0, 0, count).to(ScalarType.Float32).div(255);
        var (floorF, _) = SampleQuality.Features(model, spec, floorImages);
        var validation = train.Images.narrow(0, train.Count - 1000, 1000).to(ScalarType.Float32).div(255).flatten(1);
        var parzenImages = parzenTest > 0 ? test.Images.narrow(0, 0, Math.Min(parzenTest, test.Count)).to(ScalarType.Float32).div(255).flatten(1) : null;
        ParzenResults? Parzen(string name, Tensor images) => parzenImages is null ? null : ParzenWindow.Estimate(name, images.flatten(1), validation, parzenImages);
        var rows = new List<GeneratorRow>();
        foreach (var g in generators)
        {
            using var inner = NewDisposeScope();
            var images = g.Sample(count, seed);
            var (f, _) = SampleQuality.Features(model, spec, images);
            rows.Add(new GeneratorRow(g.Name, FrechetDistance.Between(realF, f), Parzen(g.Name, images)));
        }
        return new GeneratorTable(spec.Model, count, test.Count, FrechetDistance.Between(realF, floorF), Parzen("real training images", floorImages), rows);
    }
}
