using Aperture.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Detection.Rcnn;

/// <summary>
/// The R-CNN region network: the shared <see cref="Backbone"/> on a warped region, max pooled to
/// <c>poolSize x poolSize</c> cells (the role of pool5), the fully connected <see cref="RegionHead"/> (fc6, fc7), and a
/// K+1-way softmax layer used only while fine-tuning. The fc7 output is the feature vector the SVMs and box
/// regressors read.
/// </summary>
public sealed class RcnnNetwork : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Backbone backbone;
    private readonly RegionHead head;
    private readonly Linear cls;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    public RcnnNetwork(int numClasses, int poolSize = 7, int hiddenSize = 256, int[]? widths = null) : base(nameof(RcnnNetwork))
    {
        NumClasses = numClasses;
        PoolSize = poolSize;
        backbone = new Backbone(widths);
        head = new RegionHead(backbone.OutChannels, poolSize, hiddenSize);
        cls = Linear(hiddenSize, numClasses + 1);
        RegisterComponents();
    }

    /// <summary>The conv body.</summary>
    public Backbone Backbone => backbone;

    /// <summary>fc6 and fc7.</summary>
    public RegionHead Head => head;

    /// <summary>K object classes.</summary>
    public int NumClasses { get; }

    /// <summary>Pooled grid side.</summary>
    public int PoolSize { get; }

    /// <summary>Feature length (fc7 width).</summary>
    public int FeatureSize => head.HiddenSize;

    /// <summary>fc7 features <c>[K, D]</c> of warped regions <c>[K, 3, S, S]</c>.</summary>
    public Tensor Features(Tensor crops)
    {
        var f = backbone.forward(crops);
        return head.forward(functional.adaptive_max_pool2d(f, new long[] { PoolSize, PoolSize }));
    }

    /// <summary>Fine-tuning logits <c>[K, classes + 1]</c> (0 = background) of warped regions <c>[K, 3, S, S]</c>.</summary>
    public override Tensor forward(Tensor crops) => cls.forward(Features(crops));
}
