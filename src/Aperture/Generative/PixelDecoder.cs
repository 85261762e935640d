using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The decoder shared by the VAE and the density network: z <c>[..., L]</c> → two hidden ReLU layers → D outputs,
/// read as Bernoulli logits or as Gaussian means with one learned log-variance per pixel (<see cref="DecoderKind"/>).
/// </summary>
public sealed class PixelDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _net;
    private readonly Parameter _logVariance;

    /// <summary>Smallest per-pixel log-variance (σ ≈ 0.0067): below it a Gaussian on 8-bit data collapses onto constant pixels.</summary>
    public const double MinLogVariance = -10;

    /// <summary>Builds it.</summary>
    /// <param name="latent">L.</param>
    /// <param name="hidden">Width of the hidden layers.</param>
    /// <param name="dimension">D.</param>
    /// <param name="kind">Observation model.</param>
    public PixelDecoder(int latent, int hidden, int dimension, DecoderKind kind) : base(nameof(PixelDecoder))
    {
        Kind = kind;
        _net = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dimension));
        _logVariance = nn.Parameter(full(dimension, -4.0));
        register_module("net", _net);
        register_parameter("log_variance", _logVariance);
    }

    /// <summary>The observation model.</summary>
    public DecoderKind Kind { get; }

    /// <summary>Logits or means <c>[..., D]</c> for latents <c>[..., L]</c>.</summary>
    public override Tensor forward(Tensor z) => _net.forward(z);

    /// <summary>The per-pixel log-variances <c>[D]</c>, clamped at <see cref="MinLogVariance"/>.</summary>
    public Tensor LogVariance() => _logVariance.clamp_min(MinLogVariance);

    /// <summary>log p(x | z) summed over pixels: <paramref name="output"/> <c>[..., D]</c> from <see cref="forward"/>,
    /// <paramref name="x"/> broadcastable to it; <c>[...]</c> out.</summary>
    public Tensor LogProbability(Tensor output, Tensor x)
    {
        if (Kind == DecoderKind.Bernoulli)
            return (x * output - nn.functional.softplus(output)).sum(-1);
        var logVar = LogVariance();
        return ((x - output).square() * (-logVar).exp() + logVar + Math.Log(2 * Math.PI)).sum(-1).mul(-0.5);
    }

    /// <summary>
    /// log p(x_b | z_r) for every pair, <c>[B, R]</c>, from outputs <c>[R, D]</c> and data <c>[B, D]</c>, by matrix
    /// products (never a <c>[B, R, D]</c> tensor): Bernoulli Σ x·a − softplus(a); Gaussian with precisions π,
    /// −½ (Σ π x² − 2 x·(π μ) + Σ π μ² + Σ log σ² + D log 2π).
    /// </summary>
    public Tensor PairwiseLogProbability(Tensor output, Tensor x)
    {
        if (Kind == DecoderKind.Bernoulli)
            return x.mm(output.t()) - nn.functional.softplus(output).sum(1).unsqueeze(0);
        var logVar = LogVariance();
        var precision = (-logVar).exp();
        var quad = (x.square() * precision).sum(1, keepdim: true) - 2 * x.mm((output * precision).t()) + (output.square() * precision).sum(1).unsqueeze(0);
        return (quad + logVar.sum() + output.shape[1] * Math.Log(2 * Math.PI)).mul(-0.5);
    }

    /// <summary>The decoder's mean image for outputs <c>[..., D]</c>: sigmoid of logits, or the Gaussian mean.</summary>
    public Tensor Mean(Tensor output) => Kind == DecoderKind.Bernoulli ? output.sigmoid() : output;

    /// <summary>Draws x ~ p(x | z) for outputs <c>[..., D]</c>.</summary>
    public Tensor Draw(Tensor output, Generator generator)
    {
        if (Kind == DecoderKind.Bernoulli)
            return rand(output.shape, generator: generator, device: output.device).lt(output.sigmoid()).to_type(ScalarType.Float32);
        return output + randn(output.shape, generator: generator, device: output.device) * LogVariance().mul(0.5).exp();
    }
}
