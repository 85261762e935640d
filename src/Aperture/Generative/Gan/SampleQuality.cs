using Aperture.Classification;
using Aperture.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>How good a generator's samples are, judged with our own Fashion-MNIST classifier.</summary>
/// <param name="Classifier">The classifier's method (its penultimate layer gives the features).</param>
/// <param name="Samples">Generated images per generator.</param>
/// <param name="RealImages">Test images compared against.</param>
/// <param name="RealVsReal">Fréchet distance between the test images and as many training images: the floor.</param>
/// <param name="Generator">Fréchet distance between the test images and the trained generator's samples.</param>
/// <param name="RandomGenerator">Fréchet distance between the test images and a randomly initialised generator's samples: the ceiling.</param>
/// <param name="ConditioningAccuracy">Conditional GAN: fraction of samples the classifier assigns to their conditioning class; else null.</param>
public sealed record SampleQualityResults(string Classifier, int Samples, long RealImages, double RealVsReal, double Generator,
    double RandomGenerator, double? ConditioningAccuracy);

/// <summary>
/// The Fréchet distance of item 3 of issue 10 on the penultimate-layer features of a classifier trained by
/// <c>aperture train classify</c> (LeNet-5: the 84 outputs of F6 after ReLU; VGG-GAP: the globally averaged last
/// convolution), between real test images and generated ones, with real-vs-real as the floor and a random-init
/// generator as the ceiling; and, for a conditional GAN, how often the classifier names the conditioning class. These
/// distances use our classifier, not Inception-v3: they rank our generators, and are not comparable to published FIDs.
/// </summary>
public static class SampleQuality
{
    /// <summary>Penultimate-layer features <c>[N, D]</c> of images <c>[N, 1, 28, 28]</c> in [0, 1], and the class scores' argmax <c>[N]</c>.</summary>
    /// <exception cref="ArgumentException">A classifier whose penultimate layer this does not know.</exception>
    public static (Tensor Features, Tensor Predicted) Features(nn.Module<Tensor, Tensor> model, ClassifierSpec spec, Tensor images, int batchSize = 500)
    {
        model.eval();
        using var noGrad = no_grad();
        var device = model.parameters().First().device;
        var features = new List<Tensor>();
        var predicted = new List<Tensor>();
        var children = model.named_children().ToDictionary(c => c.name, c => c.module);
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var x = spec.Normalize(images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device).mul(255)); // Normalize takes 0..255
            Tensor f, logits;
            switch (model)
            {
                case LeNet5 lenet:
                    var h = x;
                    foreach (var (_, layer) in lenet.Features) h = layer.forward(h);
                    h = nn.functional.relu(((nn.Module<Tensor, Tensor>)children["c5"]).forward(h.flatten(1)));
                    f = nn.functional.relu(((nn.Module<Tensor, Tensor>)children["f6"]).forward(h));
                    logits = ((nn.Module<Tensor, Tensor>)children["output"]).forward(f);
                    break;
                case VggGap vgg:
                    f = vgg.Features.forward(x).mean([2, 3]);
                    logits = vgg.Classifier.forward(f);
                    break;
                default:
                    throw new ArgumentException($"the Fréchet distance needs a LeNet-5 or VGG-GAP classifier, not {model.GetType().Name}");
            }
            features.Add(f.cpu().to(ScalarType.Float64).DetachFromDisposeScope());
            predicted.Add(logits.argmax(1).cpu().DetachFromDisposeScope());
        }
        var all = (cat(features, 0), cat(predicted, 0));
        foreach (var t in features.Concat(predicted)) t.Dispose();
        return all;
    }

    /// <summary>Measures a trained generator against the floor and the ceiling.</summary>
    /// <param name="classifierRun">A classifier run folder or checkpoint (<c>aperture train classify</c> on Fashion-MNIST).</param>
    /// <param name="sampler">The trained generator.</param>
    /// <param name="test">Real test images (all used).</param>
    /// <param name="train">Real training images (the floor's second set; as many as the test images).</param>
    /// <param name="count">Generated images per generator.</param>
    /// <param name="seed">Seed of the latents and of the random generator's weights.</param>
    public static SampleQualityResults Measure(string classifierRun, GanSampler sampler, LabeledImages test, LabeledImages train, int count, long seed)
    {
        if (count < 2) throw new ArgumentException($"--count must be >= 2 for a Fréchet distance (got {count})");
        var (model, spec) = ClassifierSpec.Load(classifierRun);
        using var scope = NewDisposeScope();
        var (realF, _) = Features(model, spec, test.Images.to(ScalarType.Float32).div(255));
        var (floorF, _) = Features(model, spec, train.Images.narrow(0, 0, Math.Min(train.Count, test.Count)).to(ScalarType.Float32).div(255));
        var (images, labels) = sampler.Sample(count, seed);
        var (genF, predicted) = Features(model, spec, images);
        double? conditioning = sampler.Conditional ? predicted.eq(labels).to(ScalarType.Float64).mean().item<double>() : null;

        Torch(seed);
        var options = new GanOptions { LatentSize = sampler.Generator.LatentSize, Conditional = sampler.Conditional, Width = WidthOf(sampler.Generator) };
        var random = new GanSampler(new DcganGenerator(options, Math.Max(sampler.Generator.Classes, 2)), sampler.ClassNames);
        var (randomImages, _) = random.Sample(count, seed);
        var (randomF, _) = Features(model, spec, randomImages);
        return new SampleQualityResults(spec.Model, count, test.Count, FrechetDistance.Between(realF, floorF), FrechetDistance.Between(realF, genF),
            FrechetDistance.Between(realF, randomF), conditioning);
    }

    private static void Torch(long seed) => Core.Torch.Seed(seed);

    private static int WidthOf(DcganGenerator g) =>
        (int)g.modules().OfType<TorchSharp.Modules.ConvTranspose2d>().Last().weight!.shape[0];
}
