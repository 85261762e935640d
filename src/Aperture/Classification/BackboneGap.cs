using Aperture.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Classification;

/// <summary>
/// The detectors' conv body (<see cref="Backbone"/>: 3x3 convolutions, batch norm, three stages, stride 4) with global
/// average pooling and one linear layer on top: the classifier the detectors are pre-trained as, the way R-CNN and Fast
/// R-CNN start from an ImageNet classifier. Trained on Fashion-MNIST items drawn as the scenes draw them
/// (<see cref="Data.Scenes.ItemPatches"/>); a detector then takes its <see cref="Body"/> (<c>--init RUN</c>) and is
/// fine-tuned for detection. Parameters are stored as <c>backbone.*</c> (the same names as in every detector) and
/// <c>classifier.*</c>.
/// </summary>
public sealed class BackboneGap : Module<Tensor, Tensor>
{
    /// <summary>The registry name of this classifier.</summary>
    public const string Id = "backbone-gap";

#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly Backbone backbone;
    private readonly Linear classifier;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    /// <param name="numClasses">K, the number of classes.</param>
    /// <param name="inChannels">Input channels: 3 (RGB, the body takes colour images; grey input is repeated by <see cref="Backbone.Normalize"/>).</param>
    /// <param name="widths">The body's stage widths (default 32, 64, 128, the detectors').</param>
    public BackboneGap(int numClasses = 10, int inChannels = 3, int[]? widths = null) : base(nameof(BackboneGap))
    {
        if (inChannels != 3) throw new ArgumentException($"{Id} takes RGB images (3 channels), as the detectors do; got {inChannels}", nameof(inChannels));
        backbone = new Backbone(widths);
        classifier = Linear(backbone.OutChannels, numClasses);
        RegisterComponents();
    }

    /// <summary>The conv body a detector starts from.</summary>
    public Backbone Body => backbone;

    /// <summary>Class scores (logits) <c>[N, K]</c> of normalised images <c>[N, 3, H, W]</c> (any size).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = backbone.forward(x).mean(new long[] { 2, 3 });
        return classifier.forward(pooled).MoveToOuterDisposeScope();
    }
}
