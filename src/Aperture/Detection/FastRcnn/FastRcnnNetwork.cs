using Aperture.Nn;
using Aperture.Ops;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Detection.FastRcnn;

/// <summary>
/// The Fast R-CNN network (Girshick, ICCV 2015): one <see cref="Backbone"/> pass over the whole image, RoI max pooling
/// (<see cref="RoiPool"/>, the paper's, or <see cref="RoiAlign"/>: <see cref="FastRcnnOptions.RoiAlign"/>) of every RoI to a fixed h x w grid on the feature
/// map, the fully connected <see cref="RegionHead"/>, then two sibling outputs: K+1 class scores and per-class box
/// regression deltas.
/// </summary>
public sealed class FastRcnnNetwork : Module<Tensor, Tensor, (Tensor Logits, Tensor Deltas)>
{
    private readonly Linear _cls, _bbox;

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">K object classes (background is added as class 0).</param>
    /// <param name="poolSize">RoI pooling output h = w (7 in the paper).</param>
    /// <param name="hiddenSize">Width of fc6 and fc7.</param>
    /// <param name="roiAlign">Use RoI Align instead of RoI max pooling.</param>
    /// <param name="widths">Backbone stage widths.</param>
    public FastRcnnNetwork(int numClasses, int poolSize = 7, int hiddenSize = 256, bool roiAlign = false, int[]? widths = null) : base(nameof(FastRcnnNetwork))
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "need at least one class");
        NumClasses = numClasses;
        PoolSize = poolSize;
        UsesRoiAlign = roiAlign;
        backbone = new Backbone(widths);
        head = new RegionHead(backbone.OutChannels, poolSize, hiddenSize);
        _cls = Linear(hiddenSize, numClasses + 1);
        _bbox = Linear(hiddenSize, 4 * (numClasses + 1));
        // The paper's initialisation of the two outputs: zero-mean Gaussians with std 0.01 and 0.001.
        using (no_grad())
        {
            init.normal_(_cls.weight!, 0, 0.01); init.zeros_(_cls.bias!);
            init.normal_(_bbox.weight!, 0, 0.001); init.zeros_(_bbox.bias!);
        }
        RegisterComponents();
    }

#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Backbone backbone;
    private readonly RegionHead head;
#pragma warning restore IDE1006

    /// <summary>The conv body.</summary>
    public Backbone Backbone => backbone;

    /// <summary>fc6 and fc7.</summary>
    public RegionHead Head => head;

    /// <summary>K, the number of object classes.</summary>
    public int NumClasses { get; }

    /// <summary>RoI pooling output side.</summary>
    public int PoolSize { get; }

    /// <summary>Whether RoI Align replaces RoI max pooling.</summary>
    public bool UsesRoiAlign { get; }

    /// <summary>
    /// Scores and deltas for RoIs. <paramref name="images"/>: normalised float32 <c>[N, 3, H, W]</c>;
    /// <paramref name="rois"/>: <c>[R, 5]</c> (batch index, x1, y1, x2, y2) in image pixels.
    /// Returns logits <c>[R, K+1]</c> and deltas <c>[R, 4(K+1)]</c>.
    /// </summary>
    public override (Tensor Logits, Tensor Deltas) forward(Tensor images, Tensor rois)
    {
        var features = backbone.forward(images);
        return Heads(features, rois);
    }

    /// <summary>
    /// The part after the conv body: pools <paramref name="features"/> <c>[N, F, H/4, W/4]</c> over <paramref name="rois"/>
    /// <c>[R, 5]</c>; <paramref name="regionHead"/> replaces fc6 and fc7 when given (a <see cref="RegionHead.Truncated"/> copy).
    /// </summary>
    public (Tensor Logits, Tensor Deltas) Heads(Tensor features, Tensor rois, Module<Tensor, Tensor>? regionHead = null)
    {
        double scale = 1.0 / Backbone.Stride;
        var pooled = UsesRoiAlign
            ? RoiAlign.Apply(features, rois, PoolSize, PoolSize, scale)
            : RoiPool.Apply(features, rois, PoolSize, PoolSize, scale);
        var h = (regionHead ?? head).forward(pooled);
        return (_cls.forward(h), _bbox.forward(h));
    }
}
