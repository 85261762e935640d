using Aperture.Nn;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection.Rcnn;

/// <summary>
/// A trained R-CNN: every proposal is warped (with context) and run through the network on its own; the fc7 features
/// are scored by the one-vs-rest SVMs and the boxes refined by the class-specific regressors, then per-class NMS.
/// </summary>
public sealed class RcnnDetector : IObjectDetector
{
    /// <summary>The box coder of the regressors (the paper's unweighted targets).</summary>
    public static BoxCoder Coder { get; } = new();

    /// <summary>Wraps a network and its linear models (both put in eval mode).</summary>
    public RcnnDetector(RcnnNetwork network, RcnnLinearModels linear, IReadOnlyList<string> classNames, RcnnOptions options)
    {
        if (classNames.Count != network.NumClasses) throw new ArgumentException($"the network has {network.NumClasses} classes but {classNames.Count} names were given");
        Network = network; Linear = linear; ClassNames = classNames; Options = options;
        network.eval(); linear.eval();
    }

    /// <summary>The region network.</summary>
    public RcnnNetwork Network { get; }

    /// <summary>SVMs, regressors and feature scale.</summary>
    public RcnnLinearModels Linear { get; }

    /// <summary>Settings.</summary>
    public RcnnOptions Options { get; }

    /// <summary>When false, <see cref="Detect"/> skips box regression (to measure what it adds).</summary>
    public bool UseRegression { get; set; } = true;

    /// <inheritdoc/>
    public string Method => RcnnMethod.Id;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public bool UsesProposals => true;

    /// <summary>
    /// Scaled fc7 features <c>[P, D]</c> of regions <c>[P, 4]</c> of an image <c>uint8 [3, H, W]</c>, computed in
    /// chunks of <see cref="RcnnOptions.CropBatch"/> warped regions, without gradient.
    /// </summary>
    public Tensor Features(Tensor image, Tensor boxes) =>
        ExtractFeatures(Network, image, boxes, Options).mul(Linear.FeatureScale);

    internal static Tensor ExtractFeatures(RcnnNetwork network, Tensor image, Tensor boxes, RcnnOptions o)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var device = network.parameters().First().device;
        var x = Backbone.Normalize(image).to(device);
        var parts = new List<Tensor>();
        for (long s = 0; s < boxes.shape[0]; s += o.CropBatch)
        {
            var chunk = boxes.narrow(0, s, Math.Min(o.CropBatch, boxes.shape[0] - s)).to(device);
            parts.Add(network.Features(RegionWarp.Warp(x, chunk, o.WarpSize, o.ContextPadding)).cpu());
        }
        var f = parts.Count == 0 ? zeros(0, network.FeatureSize) : cat(parts, 0);
        return f.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public ImageDetections Detect(Tensor image, Tensor? proposals = null)
    {
        if (proposals is null) throw new ArgumentException("R-CNN needs proposals for every image (e.g. selective search)");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int h = (int)image.shape[^2], w = (int)image.shape[^1];
        var p = Boxes.CleanProposals(proposals, w, h, Options.TestProposals);
        if (p.shape[0] == 0) return ImageDetections.Empty().Move();
        var f = Features(image, p);
        var scores = Linear.Scores(f);
        int k = Network.NumClasses;
        Tensor boxes = UseRegression
            ? Coder.Decode(p, Linear.Deltas(f).reshape(p.shape[0], 4 * k)).view(p.shape[0], k, 4)
            : p;
        return PerClassNms.Apply(boxes, scores, Options.ScoreThreshold, Options.NmsIou, Options.MaxDetections, w, h).Move();
    }
}
