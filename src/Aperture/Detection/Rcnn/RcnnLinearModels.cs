using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Detection.Rcnn;

/// <summary>
/// The linear models R-CNN trains on fixed fc7 features, kept as a module so they live in the checkpoint:
/// one-vs-rest SVM weights <c>[K, D]</c> and biases <c>[K]</c>, box-regression weights <c>[K, D + 1, 4]</c>,
/// and the feature scale (features are multiplied by it so that their mean norm is 20, as in the authors' code).
/// </summary>
public sealed class RcnnLinearModels : Module
{
#pragma warning disable IDE1006
    private readonly TorchSharp.Modules.Parameter svm_weight, svm_bias, regression, feature_scale;
#pragma warning restore IDE1006

    /// <summary>Creates zero models for <paramref name="numClasses"/> classes and <paramref name="dim"/>-D features.</summary>
    public RcnnLinearModels(int numClasses, int dim) : base(nameof(RcnnLinearModels))
    {
        svm_weight = Parameter(zeros(numClasses, dim), requires_grad: false);
        svm_bias = Parameter(full(numClasses, -1f), requires_grad: false);
        regression = Parameter(zeros(numClasses, dim + 1, 4), requires_grad: false);
        feature_scale = Parameter(ones(1), requires_grad: false);
        RegisterComponents();
    }

    /// <summary>SVM weights <c>[K, D]</c>.</summary>
    public Tensor SvmWeight => svm_weight;

    /// <summary>SVM biases <c>[K]</c>.</summary>
    public Tensor SvmBias => svm_bias;

    /// <summary>Box-regression weights <c>[K, D + 1, 4]</c>.</summary>
    public Tensor Regression => regression;

    /// <summary>Feature scale (a one-element tensor).</summary>
    public Tensor FeatureScale => feature_scale;

    /// <summary>SVM scores <c>[N, K]</c> of scaled features <c>[N, D]</c>.</summary>
    public Tensor Scores(Tensor features) => features.matmul(svm_weight.t()).add(svm_bias);

    /// <summary>Regression deltas <c>[N, K, 4]</c> of scaled features <c>[N, D]</c>.</summary>
    public Tensor Deltas(Tensor features)
    {
        long d = features.shape[1];
        var w = regression.narrow(1, 0, d);                 // [K, D, 4]
        var b = regression.select(1, d);                    // [K, 4]
        return einsum("nd,kdf->nkf", features, w).add(b.unsqueeze(0));
    }
}
