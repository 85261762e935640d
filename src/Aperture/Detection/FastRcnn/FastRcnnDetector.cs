using Aperture.Nn;
using Aperture.Ops;
using TorchSharp;
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
        _head = network.Head.Truncated(options.SvdRankFc6, options.SvdRankFc7);
    }

    /// <summary>fc6 and fc7 for inference: the SVD-compressed ranks asked for, reading RoI Align's channels-last output.</summary>
    private readonly nn.Module<Tensor, Tensor> _head;

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
        long n = p.shape[0];
        var x = Backbone.Normalize(image).unsqueeze(0);
        // The mirrored pass, when on, is the second image of one batch: one body pass and one head pass for both.
        var boxes = Options.TestFlip ? cat(new[] { p, FastRcnnBatch.FlipBoxes(p, w) }, 0) : p;
        var images = Options.TestFlip ? cat(new[] { x, x.flip(3) }, 0) : x;
        var batchIndex = Options.TestFlip ? cat(new[] { zeros(n, 1), ones(n, 1) }, 0) : zeros(n, 1);
        var (logits, deltas) = Network.Heads(Network.Backbone.forward(images.to(device)), cat(new[] { batchIndex, boxes }, 1).to(device), _head);
        var probs = nn.functional.softmax(logits, 1).cpu();
        var decoded = Coder.Decode(boxes, deltas.cpu()).view(-1, k + 1, 4);
        if (Options.TestFlip)
        {
            probs = probs.narrow(0, 0, n).add(probs.narrow(0, n, n)).div(2);
            var mirrored = FastRcnnBatch.FlipBoxes(decoded.narrow(0, n, n).reshape(-1, 4), w).view(n, k + 1, 4);
            decoded = decoded.narrow(0, 0, n).add(mirrored).div(2);
        }
        var det = PerClassNms.Apply(decoded.narrow(1, 1, k), probs.narrow(1, 1, k), Options.ScoreThreshold, Options.NmsIou, Options.MaxDetections, w, h);
        return det.Move();
    }
}
