namespace Aperture.Training;

/// <summary>The optimizers <see cref="OptimizerFactory"/> builds.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, optionally with (Nesterov) momentum.</summary>
    Sgd,
    /// <summary>Adam (Kingma &amp; Ba 2015), weight decay added to the gradient.</summary>
    Adam,
    /// <summary>AdamW (Loshchilov &amp; Hutter 2019), decoupled weight decay.</summary>
    AdamW,
}
