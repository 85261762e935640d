using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Generative.ContextEncoders;

/// <summary>
/// The two baselines of Pathak et al. 2016, table 1, against which the context encoder's fills are scored: the mean
/// image (every missing pixel gets the training set's mean at that pixel), and the nearest neighbour (the training image
/// closest in the unmasked pixels — squared distance over the context only — has its pixels pasted into the hole).
/// Images are <c>float32 [N, 1, H, W]</c> in [0, 1]; masks are 1 on missing pixels.
/// </summary>
public static class InpaintingBaselines
{
    /// <summary>Training rows compared per block in the nearest-neighbour search.</summary>
    public const int Block = 8192;

    /// <summary>Fills the hole with <paramref name="meanImage"/> <c>[1, C, H, W]</c>.</summary>
    public static Tensor MeanFill(Tensor images, Tensor mask, Tensor meanImage) => images * (1 - mask) + meanImage * mask;

    /// <summary>
    /// The index of each query's nearest training image by the context pixels: argmin_j Σ_k c_ik (x_ik − y_jk)², with
    /// c = 1 − mask, as Σ c x² − 2 (c ⊙ x) · y + c · y² by two matrix products per block of training images.
    /// </summary>
    /// <param name="train">Training images <c>[M, D]</c> (flattened).</param>
    /// <param name="queries">Query images <c>[N, D]</c>.</param>
    /// <param name="mask">Masks <c>[N, D]</c>, 1 on missing pixels.</param>
    /// <returns><c>int64 [N]</c>.</returns>
    public static Tensor NearestIndices(Tensor train, Tensor queries, Tensor mask)
    {
        if (train.dim() != 2 || queries.dim() != 2 || train.shape[1] != queries.shape[1] || !mask.shape.SequenceEqual(queries.shape))
            throw new ArgumentException($"train [M, D], queries [N, D] and mask [N, D] must agree; got [{string.Join(", ", train.shape)}], [{string.Join(", ", queries.shape)}], [{string.Join(", ", mask.shape)}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var context = 1 - mask;
        var cx = context * queries;
        var bestDist = full(queries.shape[0], double.PositiveInfinity, dtype: queries.dtype);
        var bestIndex = zeros(queries.shape[0], ScalarType.Int64);
        for (long j = 0; j < train.shape[0]; j += Block)
        {
            using var block = NewDisposeScope();
            var y = train.narrow(0, j, Math.Min(Block, train.shape[0] - j));
            // Σ c x² is the same for every y: it does not change the argmin and is left out.
            var d = context.mm(y.square().t()) - 2 * cx.mm(y.t());
            var (value, index) = d.min(1);
            var better = value.lt(bestDist);
            bestDist.copy_(where(better, value, bestDist));
            bestIndex.copy_(where(better, index + j, bestIndex));
        }
        return bestIndex.MoveToOuterDisposeScope();
    }

    /// <summary>Fills each hole with the pixels of the nearest training image by the context.</summary>
    /// <param name="images">Queries <c>[N, C, H, W]</c>.</param>
    /// <param name="mask">Masks, same shape.</param>
    /// <param name="train">Training images <c>[M, C, H, W]</c>.</param>
    public static Tensor NearestNeighbourFill(Tensor images, Tensor mask, Tensor train)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0];
        var index = NearestIndices(train.reshape(train.shape[0], -1), images.reshape(n, -1), mask.expand(images.shape).reshape(n, -1));
        var donors = train.index_select(0, index);
        return (images * (1 - mask) + donors * mask).MoveToOuterDisposeScope();
    }
}
