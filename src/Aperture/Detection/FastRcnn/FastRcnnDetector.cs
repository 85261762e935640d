using Aperture.Nn;
using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection.FastRcnn;

/// <summary>A trained Fast R-CNN: one conv pass per image, then every proposal scored and regressed through RoI pooling.</summary>
public sealed class FastRcnnDetector : IObjectDetector
{
    /// <summary>Box coder of the regression outputs (the paper's target normalisation, weights 10, 10, 5, 5).</summary>
    public static BoxCoder Coder { get; } = new(10, 10, 5, 5);

    /// <summary>Wraps a trained network (put in eval mode).</summary>
    public FastRcnnDetector(FastRcnnNetwork network, IReadOnlyList<string> classNames, FastRcnnOptions options)
    {
        if (classNames.Count != network.NumClasses) throw new ArgumentException($"the network has {network.NumClasses} classes but {classNames.Count} names were given");
        Network = network;
        ClassNames = classNames;
        Options = options;
        network.eval();
    }

    /// <summary>The network.</summary>
    public FastRcnnNetwork Network { get; }

    /// <summary>Settings (test-time ones are used here).</summary>
    public FastRcnnOptions Options { get; }

    /// <inheritdoc/>
    public string Method => FastRcnnMethod.Id;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public bool UsesProposals => true;

    /// <inheritdoc/>
    public ImageDetections Detect(Tensor image, Tensor? proposals = null)
    {
        if (proposals is null) throw new ArgumentException("Fast R-CNN needs proposals for every image (e.g. selective search)");
        using var noGrad = no_grad();
        using var kernels = Core.OneDnnCheck.NativeKernelsWhereCapped(); // one whole image
        using var scope = NewDisposeScope();
        int h = (int)image.shape[^2], w = (int)image.shape[^1];
        var device = Network.parameters().First().device;
        var p = Boxes.CleanProposals(proposals, w, h, Options.TestProposals);
        if (p.shape[0] == 0) return ImageDetections.Empty().Move();
        int k = Network.NumClasses;
        var x = Backbone.Normalize(image).unsqueeze(0).to(device);
        var (probs, boxes) = Score(x, p);
        if (Options.TestFlip)
        {
            var (flippedProbs, flippedBoxes) = Score(x.flip(3), FastRcnnBatch.FlipBoxes(p, w));
            probs = probs.add(flippedProbs).div(2);
            boxes = boxes.add(FastRcnnBatch.FlipBoxes(flippedBoxes.view(-1, 4), w).view(boxes.shape)).div(2);
        }
        boxes = boxes.narrow(1, 1, k);
        var det = PerClassNms.Apply(boxes, probs.narrow(1, 1, k), Options.ScoreThreshold, Options.NmsIou, Options.MaxDetections, w, h);
        return det.Move();
    }

    /// <summary>One pass: class probabilities <c>[P, K+1]</c> and per-class boxes <c>[P, K+1, 4]</c> of proposals <paramref name="p"/> in image <paramref name="x"/>.</summary>
    private (Tensor Probs, Tensor Boxes) Score(Tensor x, Tensor p)
    {
        var rois = cat(new[] { zeros(p.shape[0], 1), p }, 1).to(x.device);
        var (logits, deltas) = Network.forward(x, rois);
        return (nn.functional.softmax(logits, 1).cpu(), Coder.Decode(p, deltas.cpu()).view(p.shape[0], Network.NumClasses + 1, 4));
    }
}
