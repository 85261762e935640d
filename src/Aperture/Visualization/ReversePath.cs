namespace Aperture.Visualization;

/// <summary>How a <see cref="Deconvnet"/> passes a signal back through a ReLU (pooling and convolution are the same for all three).</summary>
public enum ReversePath
{
    /// <summary>
    /// Zeiler &amp; Fergus (ECCV 2014): rectify the reconstruction itself, relu(signal), ignoring where the forward
    /// pass was active.
    /// </summary>
    Deconvnet,

    /// <summary>
    /// Guided backpropagation (Springenberg, Dosovitskiy, Brox &amp; Riedmiller, ICLR 2015 workshop): pass only
    /// where both the signal and the forward input were positive, relu(signal) · [input &gt; 0].
    /// </summary>
    GuidedBackpropagation,

    /// <summary>
    /// Plain backpropagation (the saliency of Simonyan et al. 2014): signal · [input &gt; 0]. The result is the exact
    /// gradient of the chosen activation with respect to the input pixels (batch norm in inference mode), times the
    /// activation's value (the reverse path starts from the value, as the deconvnet does).
    /// </summary>
    Gradient,
}
