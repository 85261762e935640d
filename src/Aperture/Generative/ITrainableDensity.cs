using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>A density model fitted by gradient ascent on a per-example objective (the VAE's ELBO or IWAE bound, the
/// density network's Monte-Carlo log-likelihood), which <see cref="DensityTask"/> drives with the trainer.</summary>
public interface ITrainableDensity : IDensityModel
{
    /// <summary>The module holding every trained parameter.</summary>
    nn.Module Network { get; }

    /// <summary>The objective to maximise for each example of <paramref name="x"/> <c>[B, D]</c>, <c>[B]</c> in nats, differentiable.</summary>
    Tensor TrainingObjective(Tensor x);

    /// <summary>The name of that objective in logs (e.g. <c>elbo</c>).</summary>
    string ObjectiveName { get; }
}
