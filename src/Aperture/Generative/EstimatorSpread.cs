using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>The density network's estimator at one sample count.</summary>
/// <param name="Samples">Prior samples R.</param>
/// <param name="Bias">Mean over images and repeats of (estimate − reference), nats; negative: too low.</param>
/// <param name="Spread">Mean over images of the standard deviation of the estimate across repeats, nats.</param>
public sealed record SpreadPoint(int Samples, double Bias, double Spread);

/// <summary>
/// How the density network's Monte-Carlo estimate log (1/R) Σ_r p(x | z_r) behaves with R: for each R, repeat the
/// estimate with fresh prior samples and measure its bias against a reference with many more samples and its spread
/// across repeats. MacKay's point: with z drawn from the prior rather than from near the posterior, R must be huge.
/// </summary>
public static class EstimatorSpread
{
    /// <summary>Runs it on <paramref name="x"/> <c>[N, D]</c>.</summary>
    /// <param name="model">A trained density network.</param>
    /// <param name="x">Held-out examples.</param>
    /// <param name="samples">The R values.</param>
    /// <param name="repeats">Repeats per R.</param>
    /// <param name="reference">R of the reference estimate (larger than every R).</param>
    public static IReadOnlyList<SpreadPoint> Run(DensityNetwork model, Tensor x, IReadOnlyList<int> samples, int repeats, int reference)
    {
        using var scope = NewDisposeScope();
        var truth = model.LogLikelihood(x, reference, 999_999);
        var points = new List<SpreadPoint>();
        foreach (int r in samples)
        {
            var runs = stack(Enumerable.Range(0, repeats).Select(s => model.LogLikelihood(x, r, 1000L * r + s)).ToArray()); // [repeats, N]
            double bias = (runs - truth).mean().ToDouble();
            double spread = repeats > 1 ? runs.std(0).mean().ToDouble() : 0;
            points.Add(new SpreadPoint(r, bias, spread));
        }
        return points;
    }
}
