using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The variational auto-encoder (Kingma &amp; Welling, "Auto-encoding variational Bayes", ICLR 2014; Rezende, Mohamed
/// &amp; Wierstra, "Stochastic backpropagation and approximate inference in deep generative models", ICML 2014):
/// prior p(z) = N(0, I_L), decoder p(x | z) (<see cref="PixelDecoder"/>), Gaussian encoder q(z | x)
/// (<see cref="GaussianEncoder"/>), trained on the ELBO E_q[log p(x | z)] − KL(q(z | x) ‖ p(z)) with the KL in closed
/// form and z = μ + σ ⊙ ε (reparameterisation). With <see cref="VaeOptions.TrainSamples"/> k &gt; 1 it trains on the
/// importance-weighted bound instead (IWAE, Burda, Grosse &amp; Salakhutdinov, ICLR 2016).
/// </summary>
/// <remarks><see cref="LogLikelihood(Tensor)"/> is Burda et al.'s importance-sampling estimate
/// log (1/k) Σ_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x), with k = <see cref="VaeOptions.EvalSamples"/> (5,000 in the
/// paper): a stochastic lower bound of log p(x) that tightens as k grows. Deliberate difference: ReLU hidden layers
/// (the papers use tanh or softplus).</remarks>
public sealed class VariationalAutoencoder : nn.Module, ITrainableDensity
{
    private readonly GaussianEncoder _encoder;
    private readonly PixelDecoder _decoder;

    /// <summary>Registry name.</summary>
    public const string Id = "vae";

    /// <summary>Builds an untrained VAE for D-dimensional examples.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public VariationalAutoencoder(int dimension, VaeOptions options) : base(nameof(VariationalAutoencoder))
    {
        options.Validate();
        Options = options;
        Dimension = dimension;
        _encoder = new GaussianEncoder(dimension, options.Hidden, options.Latent);
        _decoder = new PixelDecoder(options.Latent, options.Hidden, dimension, options.Decoder);
        register_module("encoder", _encoder);
        register_module("decoder", _decoder);
    }

    /// <summary>Its options.</summary>
    public VaeOptions Options { get; }

    /// <inheritdoc/>
    public string Method => Id;

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public DensityDataKind Data => Options.Decoder == DecoderKind.Bernoulli ? DensityDataKind.Binarised : DensityDataKind.Dequantised;

    /// <inheritdoc/>
    public bool ExactLikelihood => false;

    /// <inheritdoc/>
    public bool CanReconstruct => true;

    /// <inheritdoc/>
    public nn.Module Network => this;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules => new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = this };

    /// <inheritdoc/>
    public string ObjectiveName => Options.TrainSamples > 1 ? $"iwae{Options.TrainSamples}" : "elbo";

    /// <summary>The encoder's μ(x) and log σ²(x), <c>[N, L]</c>.</summary>
    public (Tensor Mean, Tensor LogVariance) Encode(Tensor x) => _encoder.forward(x);

    /// <summary>The decoder's mean image for latents <c>[N, L]</c>, <c>[N, D]</c>.</summary>
    public Tensor Decode(Tensor z) => _decoder.Mean(_decoder.forward(z));

    /// <summary>The ELBO of each example <c>[N, D]</c> with one reparameterised sample and the closed-form KL, <c>[N]</c>.</summary>
    public Tensor Elbo(Tensor x)
    {
        var (mu, logVar) = _encoder.forward(x);
        var z = mu + (logVar * 0.5).exp() * randn_like(mu);
        var kl = (mu.square() + logVar.exp() - logVar - 1).sum(1).mul(0.5);
        return _decoder.LogProbability(_decoder.forward(z), x) - kl;
    }

    /// <summary>
    /// log w_i = log p(x | z_i) + log p(z_i) − log q(z_i | x) for k samples z_i ~ q(z | x) per example: <c>[k, N]</c>.
    /// </summary>
    public Tensor LogWeights(Tensor x, int k, Generator? generator = null)
    {
        var (mu, logVar) = _encoder.forward(x);
        var eps = randn(new long[] { k, mu.shape[0], mu.shape[1] }, generator: generator, device: mu.device);
        var z = mu + (logVar * 0.5).exp() * eps;                           // [k, N, L]
        double c = mu.shape[1] * Math.Log(2 * Math.PI);
        var logPrior = (z.square().sum(-1) + c).mul(-0.5);
        var logPosterior = (eps.square().sum(-1) + logVar.sum(-1) + c).mul(-0.5);
        return _decoder.LogProbability(_decoder.forward(z), x) + logPrior - logPosterior;
    }

    /// <summary>The importance-weighted estimate log (1/k) Σ w_i for each example <c>[N, D]</c>, <c>[N]</c>, in chunks of samples.</summary>
    public Tensor ImportanceWeighted(Tensor x, int k, Generator? generator = null, int chunk = 256) =>
        Likelihood.LogMeanExpInChunks(k, chunk, c => LogWeights(x, c, generator).logsumexp(0));

    /// <inheritdoc/>
    public Tensor TrainingObjective(Tensor x) =>
        Options.TrainSamples > 1 ? Likelihood.LogMeanExp(LogWeights(x, Options.TrainSamples), 0) : Elbo(x);

    /// <summary>The importance-weighted estimate with k = <see cref="VaeOptions.EvalSamples"/>, <c>float64 [N]</c> (seeded, so repeatable).</summary>
    public Tensor LogLikelihood(Tensor x) => LogLikelihood(x, Options.EvalSamples);

    /// <summary>The importance-weighted estimate with <paramref name="k"/> samples, <c>float64 [N]</c>, seeded by the fixed seed 1.</summary>
    public Tensor LogLikelihood(Tensor x, int k)
    {
        Check(x);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(1);
        var device = parameters().First().device;
        int rows = Math.Max(1, 65536 / Math.Min(k, 256));
        var parts = new List<Tensor>();
        for (long i = 0; i < x.shape[0]; i += rows)
        {
            using var part = NewDisposeScope();   // one block of rows at a time in memory
            var xi = x.narrow(0, i, Math.Min(rows, x.shape[0] - i)).to(ScalarType.Float32, device);
            parts.Add(ImportanceWeighted(xi, k, generator).to_type(ScalarType.Float64).cpu().MoveToOuterDisposeScope());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Draws z ~ N(0, I) and x ~ p(x | z): <c>float32 [count, D]</c>.</summary>
    public Tensor Sample(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        var z = randn(count, Options.Latent, generator: generator).to(parameters().First().device);
        return _decoder.Draw(_decoder.forward(z), generator).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>The decoder's mean at z ~ N(0, I): <c>float32 [count, D]</c> (the usual picture of "samples").</summary>
    public Tensor SampleMeans(int count, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        var z = randn(count, Options.Latent, generator: generator).to(parameters().First().device);
        return Decode(z).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>The decoder's mean at the encoder's mean, <c>float32 [N, D]</c>.</summary>
    public Tensor Reconstruct(Tensor x)
    {
        Check(x);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mu, _) = Encode(x.to(ScalarType.Float32, parameters().First().device));
        return Decode(mu).cpu().MoveToOuterDisposeScope();
    }

    private void Check(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != Dimension)
            throw new ArgumentException($"this VAE takes [N, {Dimension}] examples, got [{string.Join(", ", x.shape)}]");
    }
}
