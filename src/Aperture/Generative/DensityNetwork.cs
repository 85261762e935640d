using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The density network (MacKay, "Bayesian neural networks and density networks", NIM A 1995): a decoder network maps
/// latents with prior p(z) = N(0, I_L) to a distribution over x, and p(x) = ∫ p(x | z) p(z) dz is estimated by
/// simple Monte Carlo over R prior samples, log p(x) ≈ log (1/R) Σ_r p(x | z_r); the model is trained by maximising
/// that estimate. Without an encoder to say which z explain x, most prior samples contribute nothing, so the estimate
/// needs many samples and is biased low for small R (Jensen) — the reason amortised inference (the VAE) followed.
/// </summary>
/// <remarks>Deliberate difference: MacKay used a 1-layer softmax/linear decoder on small data and importance sampling
/// is not used here; the decoder here is the same two-layer ReLU network as the VAE's. All R decoder outputs of a
/// batch are shared by its examples, and log p(x_b | z_r) for all pairs is a matrix product
/// (<see cref="PixelDecoder.PairwiseLogProbability"/>).</remarks>
public sealed class DensityNetwork : nn.Module, ITrainableDensity
{
    private readonly PixelDecoder _decoder;

    /// <summary>Registry name.</summary>
    public const string Id = "density-net";

    /// <summary>Builds an untrained density network for D-dimensional examples.</summary>
    public DensityNetwork(int dimension, DensityNetworkOptions options) : base(nameof(DensityNetwork))
    {
        options.Validate();
        Options = options;
        Dimension = dimension;
        _decoder = new PixelDecoder(options.Latent, options.Hidden, dimension, options.Decoder);
        register_module("decoder", _decoder);
    }

    /// <summary>Its options.</summary>
    public DensityNetworkOptions Options { get; }

    /// <inheritdoc/>
    public string Method => Id;

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public DensityDataKind Data => Options.Decoder == DecoderKind.Bernoulli ? DensityDataKind.Binarised : DensityDataKind.Dequantised;

    /// <inheritdoc/>
    public bool ExactLikelihood => false;

    /// <inheritdoc/>
    public bool CanReconstruct => false;

    /// <inheritdoc/>
    public nn.Module Network => this;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, nn.Module> Modules => new Dictionary<string, nn.Module> { [Core.Checkpoint.DefaultModuleName] = this };

    /// <inheritdoc/>
    public string ObjectiveName => "loglik";

    /// <summary>The decoder's mean image for latents <c>[N, L]</c>.</summary>
    public Tensor Decode(Tensor z) => _decoder.Mean(_decoder.forward(z));

    /// <summary>
    /// The Monte-Carlo estimate log (1/R) Σ_r p(x | z_r) for each example <c>[N, D]</c> with R prior samples
    /// (drawn from <paramref name="generator"/>, or the global generator), <c>[N]</c>; differentiable.
    /// </summary>
    public Tensor Estimate(Tensor x, int r, Generator? generator = null, int chunk = 2048) =>
        Likelihood.LogMeanExpInChunks(r, chunk, c =>
            _decoder.PairwiseLogProbability(_decoder.forward(randn(new long[] { c, Options.Latent }, generator: generator).to(x.device)), x).logsumexp(1));

    /// <inheritdoc/>
    public Tensor TrainingObjective(Tensor x) => Estimate(x, Options.TrainSamples);

    /// <summary>The estimate with R = <see cref="DensityNetworkOptions.EvalSamples"/>, <c>float64 [N]</c>, seeded by 1.</summary>
    public Tensor LogLikelihood(Tensor x) => LogLikelihood(x, Options.EvalSamples, 1);

    /// <summary>The estimate with <paramref name="r"/> prior samples drawn with seed <paramref name="seed"/>, <c>float64 [N]</c>.</summary>
    public Tensor LogLikelihood(Tensor x, int r, long seed)
    {
        if (x.dim() != 2 || x.shape[1] != Dimension)
            throw new ArgumentException($"this density network takes [N, {Dimension}] examples, got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        var device = parameters().First().device;
        var parts = new List<Tensor>();
        for (long i = 0; i < x.shape[0]; i += 1024)
        {
            using var part = NewDisposeScope();   // one block of rows at a time in memory
            parts.Add(Estimate(x.narrow(0, i, Math.Min(1024, x.shape[0] - i)).to(ScalarType.Float32, device), r, generator).to_type(ScalarType.Float64).cpu()
                .MoveToOuterDisposeScope());
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

    /// <summary>Not defined: a density network has no encoder.</summary>
    public Tensor Reconstruct(Tensor x) => throw new NotSupportedException("a density network has no encoder to reconstruct through");
}
