using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>
/// The VAE's recognition model q(z | x) = N(μ(x), diag σ²(x)) (Kingma &amp; Welling 2014, appendix C.2): x <c>[N, D]</c>
/// → two hidden ReLU layers → μ and log σ², each <c>[N, L]</c>.
/// </summary>
public sealed class GaussianEncoder : nn.Module<Tensor, (Tensor Mean, Tensor LogVariance)>
{
    private readonly Sequential _body;
    private readonly Linear _mean, _logVariance;

    /// <summary>Builds it for D inputs, hidden width H and L latents.</summary>
    public GaussianEncoder(int dimension, int hidden, int latent) : base(nameof(GaussianEncoder))
    {
        _body = nn.Sequential(nn.Linear(dimension, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU());
        _mean = nn.Linear(hidden, latent);
        _logVariance = nn.Linear(hidden, latent);
        RegisterComponents();
    }

    /// <summary>μ(x) and log σ²(x), <c>[N, L]</c> each.</summary>
    public override (Tensor Mean, Tensor LogVariance) forward(Tensor x)
    {
        var h = _body.forward(x);
        return (_mean.forward(h), _logVariance.forward(h).clamp(-20, 10));
    }
}
