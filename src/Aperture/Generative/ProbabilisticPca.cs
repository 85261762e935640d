using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// Probabilistic PCA (Tipping &amp; Bishop, "Probabilistic principal component analysis", JRSS-B 1999): x = W z + μ + ε
/// with z ~ N(0, I_q) and ε ~ N(0, σ² I_D), so x ~ N(μ, C) with C = W Wᵀ + σ² I. The maximum-likelihood fit is closed
/// form: σ² is the mean of the D − q discarded eigenvalues of the sample covariance, and W = U_q (Λ_q − σ² I)^½ with
/// the q leading eigenvectors U_q.
/// </summary>
/// <remarks>
/// <para>The log-likelihood is exact and never forms C or its D x D inverse: the Woodbury identity gives
/// C⁻¹ = σ⁻² (I − W M⁻¹ Wᵀ) with M = Wᵀ W + σ² I (q x q), and the matrix determinant lemma gives
/// log |C| = (D − q) log σ² + log |M|. Everything is float64.</para>
/// <para>Deliberate difference: the sample covariance divides by N − 1, as scikit-learn's <c>PCA</c> does, so that
/// <see cref="LogLikelihood"/> equals its <c>score_samples</c> (Tipping &amp; Bishop's maximum-likelihood estimate
/// divides by N; the two differ by a factor N / (N − 1) on every eigenvalue). Negative Λ_q − σ² are clipped to 0.</para>
/// </remarks>
public sealed class ProbabilisticPca : nn.Module, IDensityModel
{
    private readonly Tensor _mean, _components, _variances, _noise;

    /// <summary>Registry name.</summary>
    public const string Id = "ppca";

    /// <summary>Creates an unfitted model (all zeros) of the given sizes, to be filled by <see cref="Fit"/> or a checkpoint.</summary>
    /// <param name="dimension">D.</param>
    /// <param name="components">q, 1 ≤ q &lt; D.</param>
    /// <param name="data">What the examples are.</param>
    /// <exception cref="ArgumentException">q out of range.</exception>
    public ProbabilisticPca(int dimension, int components, DensityDataKind data = DensityDataKind.Dequantised) : base(nameof(ProbabilisticPca))
    {
        if (dimension < 2) throw new ArgumentException($"PPCA needs dimension >= 2 (got {dimension})");
        if (components < 1 || components >= dimension)
            throw new ArgumentException($"PPCA components must be in [1, {dimension - 1}] for {dimension}-dimensional data (got {components})");
        Dimension = dimension;
        Components = components;
        Data = data;
        _mean = zeros(dimension, ScalarType.Float64);
        _components = zeros(components, dimension, ScalarType.Float64);
        _variances = zeros(components, ScalarType.Float64);
        _noise = ones(1, ScalarType.Float64);
        register_buffer("mean", _mean);
        register_buffer("components", _components);
        register_buffer("variances", _variances);
        register_buffer("noise_variance", _noise);
    }

    /// <inheritdoc/>
    public string Method => Id;

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>Number of principal components q.</summary>
    public int Components { get; }

    /// <inheritdoc/>
    public DensityDataKind Data { get; }

    /// <inheritdoc/>
    public bool ExactLikelihood => true;

    /// <inheritdoc/>
    public bool CanReconstruct => true;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules => new Dictionary<string, nn.Module> { ["model"] = this };

    /// <summary>The mean μ, <c>float64 [D]</c>.</summary>
    public Tensor Mean => _mean;

    /// <summary>The q leading eigenvectors as rows, <c>float64 [q, D]</c>, by decreasing eigenvalue.</summary>
    public Tensor PrincipalAxes => _components;

    /// <summary>Their eigenvalues Λ_q (sample covariance with N − 1), <c>float64 [q]</c>.</summary>
    public Tensor ExplainedVariance => _variances;

    /// <summary>The noise variance σ².</summary>
    public double NoiseVariance => _noise.ToDouble();

    /// <summary>
    /// Fits the closed-form maximum-likelihood solution to <paramref name="x"/> <c>[N, D]</c> (N ≥ 2): eigendecomposition
    /// of the sample covariance in float64 (<c>torch.linalg.eigh</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Wrong shape or too few examples.</exception>
    public ProbabilisticPca Fit(Tensor x)
    {
        Check(x);
        if (x.shape[0] < 2) throw new ArgumentException($"PPCA needs at least 2 examples (got {x.shape[0]})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x64 = x.to_type(ScalarType.Float64).cpu();
        var mean = x64.mean([0L]);
        var centred = x64 - mean;
        var covariance = centred.t().mm(centred).div(x.shape[0] - 1);
        var (values, vectors) = linalg.eigh(covariance); // ascending
        int d = Dimension, q = Components;
        var leading = values.narrow(0, d - q, q).flip(0);
        var axes = vectors.narrow(1, d - q, q).flip(1).t();
        double noise = values.narrow(0, 0, d - q).clamp_min(0).mean().ToDouble();
        if (!(noise > 0))
            throw new ArgumentException($"the data have no variance outside {q} components (sigma^2 = {noise}); PPCA's density is then degenerate — use fewer components or dequantised data");
        _mean.copy_(mean);
        _components.copy_(axes);
        _variances.copy_(leading);
        _noise.fill_(noise);
        return this;
    }

    /// <summary>The loading matrix W = U_qᵀ (Λ_q − σ² I)^½ as columns, <c>float64 [D, q]</c>.</summary>
    public Tensor Loadings()
    {
        using var scope = NewDisposeScope();
        var scale = (_variances - NoiseVariance).clamp_min(0).sqrt();
        return _components.t().mul(scale).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Exact log-likelihood log N(x; μ, W Wᵀ + σ² I) of each row of <paramref name="x"/> <c>[N, D]</c> in nats,
    /// <c>float64 [N]</c>, by Woodbury and the determinant lemma (see the class remarks).
    /// </summary>
    public Tensor LogLikelihood(Tensor x)
    {
        Check(x);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double s2 = NoiseVariance;
        int d = Dimension, q = Components;
        var w = Loadings();
        var m = w.t().mm(w) + eye(q, dtype: ScalarType.Float64).mul(s2);
        var chol = linalg.cholesky(m);
        double logDetM = 2 * chol.diagonal().log().sum().ToDouble();
        double logDetC = (d - q) * Math.Log(s2) + logDetM;
        double constant = -0.5 * (d * Math.Log(2 * Math.PI) + logDetC);
        var parts = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += 4096)
        {
            var diff = x.narrow(0, start, Math.Min(4096, x.shape[0] - start)).to_type(ScalarType.Float64).cpu() - _mean;
            var t = diff.mm(w);                                   // [n, q]
            var solved = cholesky_solve(t.t(), chol).t();          // M⁻¹ Wᵀ d, [n, q]
            var quadratic = (diff.square().sum(1) - (t * solved).sum(1)).div(s2);
            parts.Add(quadratic.mul(-0.5).add(constant));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Draws x = μ + W z + σ ε with z ~ N(0, I_q), ε ~ N(0, I_D): <c>float32 [count, D]</c>.</summary>
    public Tensor Sample(int count, long seed)
    {
        if (count < 1) throw new ArgumentException($"sample count must be >= 1 (got {count})");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var z = randn(count, Components, dtype: ScalarType.Float64, generator: generator);
        var e = randn(count, Dimension, dtype: ScalarType.Float64, generator: generator);
        var x = z.mm(Loadings().t()) + _mean + e.mul(Math.Sqrt(NoiseVariance));
        return x.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The least-squares reconstruction from the posterior mean, W (Wᵀ W)⁻¹ M E[z | x] + μ (Tipping &amp; Bishop §3.2),
    /// which equals the orthogonal projection onto the principal subspace, μ + U_q U_qᵀ (x − μ): <c>float32 [N, D]</c>.
    /// </summary>
    public Tensor Reconstruct(Tensor x)
    {
        Check(x);
        using var scope = NewDisposeScope();
        var diff = x.to_type(ScalarType.Float64).cpu() - _mean;
        var r = diff.mm(_components.t()).mm(_components) + _mean;
        return r.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    private void Check(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != Dimension)
            throw new ArgumentException($"PPCA of dimension {Dimension} takes [N, {Dimension}] examples, got [{string.Join(", ", x.shape)}]");
    }
}
