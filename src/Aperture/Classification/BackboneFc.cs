using Aperture.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Classification;

/// <summary>
/// The classifier the detectors are pre-trained as, built like the ImageNet classifier both R-CNN papers start from
/// (VGG-16: conv body, pool5 to a 7x7 grid, fc6, fc7, fc8): the detectors' conv body (<see cref="Backbone"/>), max
/// pooling to <see cref="PoolSize"/>² cells, the detectors' fully connected <see cref="RegionHead"/> (fc6, fc7) and a
/// linear classifier. Trained on Fashion-MNIST items drawn as the scenes draw them (<see cref="Data.Scenes.ItemPatches"/>);
/// a detector then takes the body and, where its own head has the same shape, fc6 and fc7 (<c>--init RUN</c>), replaces
/// the classifier with its own outputs and is fine-tuned — Fast R-CNN's section 2.2: "the last max pooling layer is
/// replaced by a RoI pooling layer … the last fully connected layer and softmax are replaced with the two sibling
/// layers". Parameters are stored as <c>backbone.*</c> and <c>head.*</c> (the names every detector uses) and
/// <c>classifier.*</c>.
/// </summary>
public sealed class BackboneFc : Module<Tensor, Tensor>
{
    /// <summary>The registry name of this classifier.</summary>
    public const string Id = "backbone-fc";

    /// <summary>Side of the pooled grid fc6 reads: 7, the detectors' RoI pooling output.</summary>
    public const int PoolSize = 7;

    /// <summary>Width of fc6 and fc7: 256, the detectors' default.</summary>
    public const int HiddenSize = 256;

#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Backbone backbone;
    private readonly RegionHead head;
    private readonly Linear classifier;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">K, the number of classes.</param>
    /// <param name="inChannels">Input channels: 3 (RGB, the body takes colour images; grey input is repeated by <see cref="Backbone.Normalize"/>).</param>
    /// <param name="widths">The body's stage widths (default 32, 64, 128, the detectors').</param>
    public BackboneFc(int numClasses = 10, int inChannels = 3, int[]? widths = null) : base(nameof(BackboneFc))
    {
        if (inChannels != 3) throw new ArgumentException($"{Id} takes RGB images (3 channels), as the detectors do; got {inChannels}", nameof(inChannels));
        backbone = new Backbone(widths);
        head = new RegionHead(backbone.OutChannels, PoolSize, HiddenSize);
        classifier = Linear(HiddenSize, numClasses);
        RegisterComponents();
    }

    /// <summary>The conv body a detector starts from.</summary>
    public Backbone Body => backbone;

    /// <summary>fc6 and fc7, which a detector with the same pooled grid and width starts from.</summary>
    public RegionHead Head => head;

    /// <summary>Class scores (logits) <c>[N, K]</c> of normalised images <c>[N, 3, H, W]</c> (H, W ≥ 4).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = functional.adaptive_max_pool2d(backbone.forward(x), new long[] { PoolSize, PoolSize });
        return classifier.forward(head.forward(pooled)).MoveToOuterDisposeScope();
    }
}
