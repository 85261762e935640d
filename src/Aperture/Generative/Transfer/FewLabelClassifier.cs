using Aperture.Generative.AutoEncoders;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.Transfer;

/// <summary>
/// The classifier of the few-label experiment: a <see cref="ConvEncoder"/> (pre-trained by a feature learner, or freshly
/// initialised for training from scratch) followed by one linear layer on its flattened <c>[2W, 7, 7]</c> map to K
/// logits. The same architecture in every column of the table, so the columns differ only in where the encoder's
/// weights came from and whether they move. <c>[B, 1, 28, 28]</c> in [-1, 1] → <c>[B, K]</c>.
/// </summary>
public sealed class FewLabelClassifier : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // lower-case names are the checkpoint keys
    private readonly ConvEncoder encoder;
    private readonly TorchSharp.Modules.Linear head;
#pragma warning restore IDE1006

    /// <summary>Wraps an encoder (taken over, not copied) with a fresh linear head.</summary>
    public FewLabelClassifier(ConvEncoder encoder, int classes) : base(nameof(FewLabelClassifier))
    {
        if (classes < 2) throw new ArgumentException($"a classifier needs at least 2 classes (got {classes})");
        this.encoder = encoder;
        head = nn.Linear(encoder.FeatureSize, classes);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public ConvEncoder Encoder => encoder;

    /// <summary>The linear head.</summary>
    public TorchSharp.Modules.Linear Head => head;

    /// <summary>Logits of flattened encoder features <c>[B, F]</c>.</summary>
    public Tensor Classify(Tensor features) => head.forward(features);

    /// <inheritdoc/>
    public override Tensor forward(Tensor images) => head.forward(encoder.forward(images).flatten(1));
}
