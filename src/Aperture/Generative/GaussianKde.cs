using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// Kernel density estimation with an isotropic Gaussian kernel (Parzen 1962; Rosenblatt 1956):
/// p(x) = (1/M) Σ_j N(x; y_j, h² I). The log-likelihood is exact — squared distances ‖x‖² + ‖y‖² − 2 x·y by matrix
/// products, then log-sum-exp — computed in blocks of queries and training points so memory stays bounded, with a
/// running log-sum-exp across training blocks. No tree approximation (scikit-learn's tree-based <c>KernelDensity</c>
/// returns wrong log-densities at small bandwidth in high dimension, its issues #7492 and #27186).
/// </summary>
/// <remarks>Distances are taken after subtracting the training mean, which leaves them unchanged and keeps the
/// norms small, so cancellation in ‖x‖² + ‖y‖² − 2 x·y stays small. The arithmetic is in the stored training data's
/// dtype (float64 unless asked otherwise).</remarks>
public sealed class GaussianKde : nn.Module, IDensityModel
{
    private readonly Tensor _train, _centre, _bandwidth;

    /// <summary>Registry name.</summary>
    public const string Id = "kde";

    /// <summary>Query rows per block.</summary>
    public const int QueryBlock = 1024;

    /// <summary>Training rows per block.</summary>
    public const int TrainBlock = 8192;

    /// <summary>Creates a KDE on training examples <paramref name="train"/> <c>[M, D]</c> (copied, centred) with bandwidth h.</summary>
    /// <param name="train">Training examples.</param>
    /// <param name="bandwidth">Kernel standard deviation h &gt; 0.</param>
    /// <param name="data">What the examples are.</param>
    /// <param name="dtype">Arithmetic precision: float64 (default) or float32.</param>
    /// <exception cref="ArgumentException">Empty data or a bad bandwidth.</exception>
    public GaussianKde(Tensor train, double bandwidth, DensityDataKind data = DensityDataKind.Dequantised, ScalarType dtype = ScalarType.Float64)
        : base(nameof(GaussianKde))
    {
        if (train.dim() != 2 || train.shape[0] < 1)
            throw new ArgumentException($"KDE needs training examples [M, D] with M >= 1, got [{string.Join(", ", train.shape)}]");
        if (!(bandwidth > 0) || !double.IsFinite(bandwidth)) throw new ArgumentException($"KDE bandwidth must be > 0 (got {bandwidth})");
        if (dtype is not (ScalarType.Float64 or ScalarType.Float32)) throw new ArgumentException($"KDE computes in float32 or float64, not {dtype}");
        Data = data;
        using (no_grad())
        {
            var t = train.to_type(dtype).cpu();
            _centre = t.mean([0L]);
            _train = (t - _centre).contiguous();
        }
        _bandwidth = tensor(new[] { bandwidth }, ScalarType.Float64);
        register_buffer("train", _train);
        register_buffer("centre", _centre);
        register_buffer("bandwidth", _bandwidth);
    }

    /// <summary>An empty KDE of the given size, filled by a checkpoint.</summary>
    public static GaussianKde Empty(long count, int dimension, DensityDataKind data, ScalarType dtype) =>
        new(zeros(count, dimension, dtype), 1.0, data, dtype);

    /// <inheritdoc/>
    public string Method => Id;

    /// <inheritdoc/>
    public int Dimension => (int)_train.shape[1];

    /// <summary>Training examples M.</summary>
    public long Count => _train.shape[0];

    /// <summary>The bandwidth h.</summary>
    public double Bandwidth => _bandwidth.ToDouble();

    /// <inheritdoc/>
    public DensityDataKind Data { get; }

    /// <inheritdoc/>
    public bool ExactLikelihood => true;

    /// <inheritdoc/>
    public bool CanReconstruct => false;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules => new Dictionary<string, nn.Module> { ["model"] = this };

    /// <summary>Log-density of each row of <paramref name="x"/> <c>[N, D]</c> in nats, <c>float64 [N]</c>.</summary>
    public Tensor LogLikelihood(Tensor x) => LogLikelihood(x, Bandwidth);

    /// <summary>
    /// Log-density of each row of <paramref name="x"/> <c>[N, D]</c> under bandwidth <paramref name="bandwidth"/>
    /// (the stored training points, another h): log Σ_j exp(−‖x − y_j‖² / 2h²) − log M − (D/2) log(2π h²).
    /// </summary>
    public Tensor LogLikelihood(Tensor x, double bandwidth) => LogLikelihood(x, [bandwidth])[0];

    /// <summary>
    /// Log-densities for several bandwidths at once (the distances are computed once): <c>float64 [B][N]</c>.
    /// </summary>
    public Tensor[] LogLikelihood(Tensor x, IReadOnlyList<double> bandwidths)
    {
        if (x.dim() != 2 || x.shape[1] != Dimension)
            throw new ArgumentException($"this KDE takes [N, {Dimension}] examples, got [{string.Join(", ", x.shape)}]");
        if (bandwidths.Count == 0 || bandwidths.Any(h => !(h > 0))) throw new ArgumentException("KDE bandwidths must be > 0");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = x.shape[0], m = Count;
        int d = Dimension;
        var q = (x.to_type(_train.dtype).cpu() - _centre);
        var results = bandwidths.Select(_ => new List<Tensor>()).ToArray();
        var trainNorms = new List<Tensor>();
        for (long j = 0; j < m; j += TrainBlock) trainNorms.Add(_train.narrow(0, j, Math.Min(TrainBlock, m - j)).square().sum(1));
        for (long i = 0; i < n; i += QueryBlock)
        {
            using var block = NewDisposeScope();
            var xi = q.narrow(0, i, Math.Min(QueryBlock, n - i));
            var xn = xi.square().sum(1, keepdim: true);
            var acc = bandwidths.Select(_ => (Tensor?)null).ToArray();
            int b = 0;
            for (long j = 0; j < m; j += TrainBlock, b++)
            {
                var yj = _train.narrow(0, j, Math.Min(TrainBlock, m - j));
                var d2 = (xn + trainNorms[b].unsqueeze(0)).addmm_(xi, yj.t(), beta: 1, alpha: -2).clamp_min_(0);
                for (int k = 0; k < bandwidths.Count; k++)
                {
                    var lse = d2.mul(-0.5 / (bandwidths[k] * bandwidths[k])).logsumexp(1);
                    acc[k] = acc[k] is null ? lse : acc[k]!.logaddexp(lse);
                }
            }
            for (int k = 0; k < bandwidths.Count; k++)
            {
                double h = bandwidths[k];
                double constant = -Math.Log(m) - 0.5 * d * Math.Log(2 * Math.PI * h * h);
                results[k].Add(acc[k]!.to_type(ScalarType.Float64).add(constant).MoveToOuterDisposeScope());
            }
        }
        return results.Select(r => cat(r, 0).MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>
    /// The bandwidth of <paramref name="grid"/> with the highest mean log-likelihood of <paramref name="validation"/>
    /// <c>[V, D]</c> (held-out examples, never the training ones: on them h → 0 wins), and every grid point's mean.
    /// </summary>
    public (double Best, IReadOnlyList<(double Bandwidth, double MeanLogLikelihood)> Scores) SelectBandwidth(Tensor validation, IReadOnlyList<double> grid)
    {
        var lls = LogLikelihood(validation, grid);
        var scores = grid.Select((h, k) => (h, lls[k].mean().ToDouble())).ToList();
        foreach (var t in lls) t.Dispose();
        var best = scores.Where(s => double.IsFinite(s.Item2)).DefaultIfEmpty(scores[0]).MaxBy(s => s.Item2);
        return (best.h, scores);
    }

    /// <summary>A geometric grid of <paramref name="count"/> bandwidths from <paramref name="low"/> to <paramref name="high"/>.</summary>
    public static double[] Grid(double low, double high, int count) =>
        Enumerable.Range(0, count).Select(i => low * Math.Pow(high / low, count == 1 ? 0 : i / (double)(count - 1))).ToArray();

    /// <summary>Draws a training point uniformly, plus N(0, h² I) noise: <c>float32 [count, D]</c>.</summary>
    public Tensor Sample(int count, long seed)
    {
        if (count < 1) throw new ArgumentException($"sample count must be >= 1 (got {count})");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var pick = randint(Count, [count], generator: generator);
        var x = _train.index_select(0, pick) + _centre + randn(count, Dimension, dtype: _train.dtype, generator: generator).mul(Bandwidth);
        return x.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Not defined: a KDE has no latent space.</summary>
    public Tensor Reconstruct(Tensor x) => throw new NotSupportedException("a kernel density estimate has no latent space to reconstruct through");
}
