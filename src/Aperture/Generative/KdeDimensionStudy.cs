using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>One point of the curse-of-dimensionality experiment.</summary>
/// <param name="Dimension">d of the PCA projection.</param>
/// <param name="TrainExamples">Kernel centres N.</param>
/// <param name="Bandwidth">The bandwidth held-out likelihood chose.</param>
/// <param name="KdeNatsPerDimension">KDE's held-out log-likelihood per dimension.</param>
/// <param name="GaussianNatsPerDimension">A full-covariance Gaussian's (PPCA with all components but one) on the same projection, per dimension.</param>
public sealed record DimensionPoint(int Dimension, int TrainExamples, double Bandwidth, double KdeNatsPerDimension, double GaussianNatsPerDimension);

/// <summary>
/// The curse of dimensionality for kernel density estimation: held-out log-likelihood (per dimension) of a Gaussian
/// KDE against the training-set size N, for the data projected onto its first d principal components (d = 2 … 784),
/// beside a single Gaussian fitted to the same projection. In 2-D a few hundred centres beat the Gaussian; in 784-D the
/// KDE needs far more than 60,000 points to approach it — the error of a KDE falls like N^(−4/(d+4)).
/// </summary>
public static class KdeDimensionStudy
{
    /// <summary>Runs it.</summary>
    /// <param name="train">Training examples <c>[N, 784]</c> (dequantised).</param>
    /// <param name="validation">Held-out examples for the bandwidth <c>[V, 784]</c>.</param>
    /// <param name="test">Held-out examples scored <c>[M, 784]</c>.</param>
    /// <param name="dimensions">Projection dimensions (≤ 784; 784 means no projection).</param>
    /// <param name="sizes">Training-set sizes (each ≤ N).</param>
    /// <param name="log">Progress lines, or null.</param>
    public static IReadOnlyList<DimensionPoint> Run(Tensor train, Tensor validation, Tensor test, IReadOnlyList<int> dimensions, IReadOnlyList<int> sizes, TextWriter? log)
    {
        int full = (int)train.shape[1];
        var points = new List<DimensionPoint>();
        var pca = new ProbabilisticPca(full, full - 1).Fit(train);
        var grid = GaussianKde.Grid(0.005, 2.0, 16);
        foreach (int d in dimensions)
        {
            using var scope = NewDisposeScope();
            Tensor Project(Tensor x) => d >= full ? x.to_type(ScalarType.Float64) : (x.to_type(ScalarType.Float64) - pca.Mean).mm(pca.PrincipalAxes.narrow(0, 0, d).t());
            var ptrain = Project(train);
            var pval = Project(validation);
            var ptest = Project(test);
            double gaussian;
            if (d >= 2)
            {
                using var g = new ProbabilisticPca(d, d - 1).Fit(ptrain);
                gaussian = g.LogLikelihood(ptest).mean().ToDouble() / d;
            }
            else gaussian = double.NaN;
            foreach (int n in sizes.Where(s => s <= ptrain.shape[0]))
            {
                using var kde = new GaussianKde(ptrain.narrow(0, 0, n), 1.0, dtype: ScalarType.Float64);
                var (h, _) = kde.SelectBandwidth(pval, grid.Select(b => b * Math.Sqrt(d / 784.0) * 4).ToArray());
                double ll = kde.LogLikelihood(ptest, h).mean().ToDouble() / d;
                points.Add(new DimensionPoint(d, n, h, ll, gaussian));
                log?.WriteLine($"[kde] d = {d}, N = {n}: h = {h:G3}, {ll:F3} nats/dim (Gaussian {gaussian:F3})");
            }
        }
        pca.Dispose();
        return points;
    }
}
