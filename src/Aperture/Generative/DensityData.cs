using Aperture.Data;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The one data path of the density models: Fashion-MNIST images flattened to <c>[N, 784]</c>, made continuous by
/// uniform dequantisation or binary by seeded stochastic binarisation (<see cref="DensityDataKind"/>), with a
/// validation set held out of the training images. Every model of one likelihood table is scored on the same
/// <see cref="Test"/> tensor.
/// </summary>
/// <param name="Train">Training examples <c>float32 [N, D]</c>.</param>
/// <param name="Validation">Held-out training examples <c>float32 [V, D]</c> (bandwidths, best checkpoints).</param>
/// <param name="Test">Test examples <c>float32 [M, D]</c>.</param>
/// <param name="Kind">What the values are.</param>
/// <param name="Source">Where the images came from.</param>
public sealed record DensityData(Tensor Train, Tensor Validation, Tensor Test, DensityDataKind Kind, string Source) : IDisposable
{
    /// <summary>Pixels of a flattened Fashion-MNIST image, D = 28 · 28.</summary>
    public const int ImageDimension = 784;

    /// <summary>Side of the images.</summary>
    public const int ImageSide = 28;

    /// <summary>Dimension D of the examples.</summary>
    public int Dimension => (int)Train.shape[1];

    /// <summary>
    /// Turns images <c>uint8 [N, 1, 28, 28]</c> (or <c>[N, D]</c>) into examples <c>float32 [N, D]</c> of
    /// <paramref name="kind"/>: (v + u) / 256 with u ~ U[0, 1), or Bernoulli(v / 255), drawn from a generator seeded with
    /// <paramref name="seed"/> so the same images always give the same examples.
    /// </summary>
    /// <exception cref="ArgumentException">The images are not <c>uint8</c>.</exception>
    public static Tensor Prepare(Tensor images, DensityDataKind kind, long seed)
    {
        if (images.dtype != ScalarType.Byte)
            throw new ArgumentException($"density data is made from uint8 images, got {images.dtype}");
        using var scope = NewDisposeScope();
        var v = images.reshape(images.shape[0], -1).to_type(ScalarType.Float32).cpu();
        using var generator = new Generator((ulong)seed);
        var u = rand(v.shape, generator: generator);
        var x = kind == DensityDataKind.Dequantised
            ? v.add(u).div(256.0)
            : u.lt(v.div(255.0)).to_type(ScalarType.Float32);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Examples back to images <c>float32 [N, 1, 28, 28]</c> in [0, 1] for drawing.
    /// </summary>
    public static Tensor ToImages(Tensor examples) => examples.reshape(-1, 1, ImageSide, ImageSide).clamp(0, 1);

    /// <summary>
    /// Builds the data from loaded splits: <paramref name="validation"/> training images held out (seeded), at most
    /// <paramref name="limit"/> training and <paramref name="testLimit"/> test images used (0: all).
    /// </summary>
    /// <param name="train">Training images <c>uint8 [N, 1, 28, 28]</c>; not disposed.</param>
    /// <param name="test">Test images; not disposed.</param>
    /// <param name="kind">Dequantised or binarised.</param>
    /// <param name="seed">Seed of the split and the noise.</param>
    /// <param name="validation">Training images held out.</param>
    /// <param name="limit">Training images kept after the hold-out (0: all).</param>
    /// <param name="testLimit">Test images kept, the first ones in file order (0: all).</param>
    /// <exception cref="ArgumentException">Bad counts.</exception>
    public static DensityData From(LabeledImages train, LabeledImages test, DensityDataKind kind, long seed, int validation = 5000, int limit = 0, int testLimit = 0)
    {
        if (validation < 0 || limit < 0 || testLimit < 0)
            throw new ArgumentException($"counts must be >= 0 (validation {validation}, limit {limit}, test limit {testLimit})");
        if (validation >= train.Count)
            throw new ArgumentException($"{train.Source}: cannot hold out {validation} of {train.Count} training images");
        var (rest, held) = train.Split(validation, seed);
        using var disposeRest = rest;
        using var disposeHeld = held;
        using var subset = limit > 0 && limit < rest.Count ? rest.RandomSubset(limit, seed) : null;
        var used = subset ?? rest;
        long m = testLimit > 0 ? Math.Min(testLimit, test.Count) : test.Count;
        using var testImages = test.Images.narrow(0, 0, m);
        return new DensityData(Prepare(used.Images, kind, seed * 3 + 1), Prepare(held.Images, kind, seed * 3 + 2),
            Prepare(testImages, kind, 20260101), kind, train.Source);
    }

    /// <summary>
    /// Loads Fashion-MNIST (the full set where the locator finds it, else the shipped sample) as density data.
    /// The test examples use a fixed noise seed, so every run and every model is scored on the same values.
    /// </summary>
    public static DensityData Load(DensityDataKind kind, long seed, int validation = 5000, int limit = 0, int testLimit = 0, string? dataDir = null)
    {
        using var train = FashionMnist.Load(DatasetSplit.Train, dataDir);
        using var test = FashionMnist.Load(DatasetSplit.Test, dataDir);
        return From(train, test, kind, seed, Math.Min(validation, (int)train.Count / 10), limit, testLimit);
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
