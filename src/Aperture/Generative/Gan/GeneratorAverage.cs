using static TorchSharp.torch;

namespace Aperture.Generative.Gan;

/// <summary>
/// An exponential moving average of a generator's weights (Karras et al. 2018; Yazıcı et al. 2019): after each
/// generator step, <c>avg = d · avg + (1 - d) · w</c> for every parameter, and batch-norm statistics copied. The decay
/// warms up as <c>d_t = min(d, (1 + t) / (10 + t))</c> after t updates, so the average is not dominated by the random
/// initial weights during the first epoch (a common practice; the papers use a fixed decay over much longer runs).
/// The update count is a buffer, so it is checkpointed with the weights and a resumed run continues exactly.
/// </summary>
public sealed class GeneratorAverage : nn.Module
{
    private readonly DcganGenerator average;
    private readonly Tensor updates;

    /// <summary>Starts the average at a copy of <paramref name="source"/>'s weights.</summary>
    /// <param name="options">The generator's options (to build the same architecture).</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="source">The generator being trained.</param>
    public GeneratorAverage(GanOptions options, int classes, DcganGenerator source) : base(nameof(GeneratorAverage))
    {
        Decay = options.EmaDecay;
        average = new DcganGenerator(options, classes);
        updates = zeros([], ScalarType.Int64);
        RegisterComponents();
        average.load_state_dict(source.state_dict());
        foreach (var p in average.parameters()) p.requires_grad = false;
    }

    /// <summary>The decay d.</summary>
    public double Decay { get; }

    /// <summary>The averaged generator, to sample from (put it in eval mode first).</summary>
    public DcganGenerator Generator => average;

    /// <summary>Folds the current weights of <paramref name="source"/> into the average.</summary>
    public void Update(DcganGenerator source)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long t = updates.item<long>();
        double d = Math.Min(Decay, (1.0 + t) / (10.0 + t));
        foreach (var ((_, avg), (_, w)) in average.named_parameters().Zip(source.named_parameters()))
            avg.mul_(d).add_(w.detach(), alpha: 1 - d);
        foreach (var ((_, avg), (_, w)) in average.named_buffers().Zip(source.named_buffers()))
            avg.copy_(w);
        updates.add_(1);
    }
}
