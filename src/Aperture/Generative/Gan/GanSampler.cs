using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// Draws images from a trained generator and lays them out as PNG grids: N samples, latent interpolations (linear or
/// spherical, <see cref="LatentInterpolation"/>), and for a conditional generator one row per class with the same z
/// down each column. Latents come from a private generator seeded by the caller, so the same seed gives the same
/// pictures and libtorch's global generator is not disturbed.
/// </summary>
/// <param name="generator">The generator to sample from (the EMA generator when the run kept one); put in eval mode here.</param>
/// <param name="classNames">Class names (the conditional generator's labels).</param>
public sealed class GanSampler(DcganGenerator generator, IReadOnlyList<string> classNames)
{
    /// <summary>The generator.</summary>
    public DcganGenerator Generator { get; } = generator ?? throw new ArgumentNullException(nameof(generator));

    /// <summary>Whether samples are conditioned on a class.</summary>
    public bool Conditional => Generator.Classes > 0;

    /// <summary>Class names.</summary>
    public IReadOnlyList<string> ClassNames { get; } = classNames;

    private Device Device => Generator.parameters().First().device;

    /// <summary>Latents z ~ N(0, I), <c>[count, Z]</c>, from a generator seeded with <paramref name="seed"/>.</summary>
    public Tensor Latents(int count, long seed)
    {
        var g = new Generator((ulong)seed);
        return randn([count, Generator.LatentSize], generator: g).to(Device);
    }

    /// <summary>Generates images from given latents.</summary>
    /// <param name="z">Latents <c>[N, Z]</c>.</param>
    /// <param name="labels">Labels <c>int64 [N]</c> for a conditional generator, else null.</param>
    /// <returns>Images <c>[N, 1, 28, 28]</c> in [0, 1], on the CPU.</returns>
    public Tensor Generate(Tensor z, Tensor? labels)
    {
        Generator.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var y = Conditional ? (labels ?? throw new ArgumentException("a conditional generator needs labels")).to(Device) : null;
        var images = Generator.forward(z.to(Device), y);
        return images.add(1).div(2).clamp(0, 1).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>Draws <paramref name="count"/> images; a conditional generator cycles through the classes (0, 1, … 9, 0, …).</summary>
    /// <returns>Images <c>[count, 1, 28, 28]</c> in [0, 1] and their labels <c>int64 [count]</c> (all 0 when unconditional).</returns>
    public (Tensor Images, Tensor Labels) Sample(int count, long seed)
    {
        if (count < 1) throw new ArgumentException($"--count must be >= 1 (got {count})");
        using var scope = NewDisposeScope();
        var labels = Conditional ? arange(count, ScalarType.Int64).remainder(Generator.Classes) : zeros(count, ScalarType.Int64);
        var images = Generate(Latents(count, seed), labels);
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>Writes <paramref name="count"/> samples as one PNG grid (conditional: one column per class, so each
    /// row runs through the classes). Returns the path.</summary>
    public string WriteSamples(string path, int count, long seed, int scale = 2)
    {
        using var scope = NewDisposeScope();
        var (images, _) = Sample(count, seed);
        ImageTensor.Write(path, ImageGrid.Tile(images, Conditional ? Generator.Classes : 0, padding: 2, scale: scale));
        return path;
    }

    /// <summary>Conditional only: one row per class, <paramref name="columns"/> latents shared down each column.</summary>
    /// <returns>The path.</returns>
    public string WriteClassRows(string path, int columns, long seed, int scale = 2)
    {
        if (!Conditional) throw new InvalidOperationException("one row per class needs a conditional generator (--model cgan)");
        if (columns < 1) throw new ArgumentException($"columns must be >= 1 (got {columns})");
        using var scope = NewDisposeScope();
        int k = Generator.Classes;
        var z = Latents(columns, seed).repeat(k, 1);                                      // [k·columns, Z]: row = class
        var labels = arange(k, ScalarType.Int64).repeat_interleave(columns);
        ImageTensor.Write(path, ImageGrid.Tile(Generate(z, labels), columns, padding: 2, scale: scale));
        return path;
    }

    /// <summary>
    /// Interpolates between pairs of random latents: <paramref name="rows"/> rows of <paramref name="steps"/> images
    /// from one random z to another (a conditional generator keeps one class per row, cycling through the classes).
    /// </summary>
    /// <param name="path">PNG to write.</param>
    /// <param name="rows">Pairs of endpoints.</param>
    /// <param name="steps">Images per row, ≥ 2 (the endpoints included).</param>
    /// <param name="spherical">Spherical rather than linear interpolation.</param>
    /// <param name="seed">Seed of the endpoints.</param>
    /// <param name="scale">Upscaling of each tile.</param>
    /// <returns>The path.</returns>
    public string WriteInterpolation(string path, int rows, int steps, bool spherical, long seed, int scale = 2)
    {
        if (rows < 1 || steps < 2) throw new ArgumentException($"an interpolation needs rows >= 1 and steps >= 2 (got {rows} and {steps})");
        using var scope = NewDisposeScope();
        var ends = Latents(2 * rows, seed);
        var (a, b) = (ends[..rows], ends[rows..]);
        var t = linspace(0, 1, steps, device: ends.device);
        var z = (spherical ? LatentInterpolation.Spherical(a, b, t) : LatentInterpolation.Linear(a, b, t)).reshape(rows * steps, -1);
        var labels = Conditional ? arange(rows, ScalarType.Int64).remainder(Generator.Classes).repeat_interleave(steps) : null;
        ImageTensor.Write(path, ImageGrid.Tile(Generate(z, labels), steps, padding: 2, scale: scale));
        return path;
    }
}
