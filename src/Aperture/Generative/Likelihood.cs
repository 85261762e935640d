using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>Conversions and estimators shared by the density models: log-mean-exp, bits per dimension.</summary>
public static class Likelihood
{
    /// <summary>log((1/K) Σ_k exp(a_k)) along <paramref name="dim"/>, stable (log-sum-exp minus log K).</summary>
    public static Tensor LogMeanExp(Tensor a, long dim) => a.logsumexp(dim).sub(Math.Log(a.shape[dim]));

    /// <summary>
    /// log((1/K) Σ_k exp(a_k)) over K = <paramref name="total"/> samples drawn <paramref name="chunk"/> at a time: each chunk's
    /// log-sum-exp (<paramref name="logSumExpOfChunk"/>, given the chunk's size) is folded in with log-add-exp, and the
    /// chunk's intermediate tensors are freed as soon as it is folded, so memory follows one chunk, not K. (Tensors an
    /// autograd graph still needs stay alive through the graph.)
    /// </summary>
    public static Tensor LogMeanExpInChunks(int total, int chunk, Func<int, Tensor> logSumExpOfChunk)
    {
        if (total < 1 || chunk < 1) throw new ArgumentException($"log-mean-exp needs at least one sample and a positive chunk, got {total} and {chunk}");
        Tensor? acc = null;
        for (int done = 0; done < total; done += chunk)
        {
            using var scope = NewDisposeScope();
            var lse = logSumExpOfChunk(Math.Min(chunk, total - done));
            var next = acc is null ? lse : acc.logaddexp(lse);
            acc?.Dispose();
            acc = next.MoveToOuterDisposeScope();
        }
        using (acc) return acc!.sub(Math.Log(total));
    }

    /// <summary>
    /// Bits per dimension of the 8-bit (or binary) data from a log-likelihood in nats. For dequantised data the
    /// density on [0, 1)^D becomes a (lower-bounded) probability of the 8-bit values by subtracting D·ln 256 (see
    /// <see cref="DensityDataKind.Dequantised"/>); binary data's log-probability is used as is.
    /// </summary>
    /// <param name="nats">Log-likelihood (of one example, or a mean) in nats.</param>
    /// <param name="dimension">D.</param>
    /// <param name="kind">What the data are.</param>
    public static double BitsPerDimension(double nats, int dimension, DensityDataKind kind)
    {
        double discrete = kind == DensityDataKind.Dequantised ? nats - dimension * Math.Log(256) : nats;
        return -discrete / (dimension * Math.Log(2));
    }

    /// <summary>
    /// Area under the ROC curve of scores where <paramref name="positive"/> should score higher than
    /// <paramref name="negative"/> (ties count a half): the probability a random positive outscores a random negative.
    /// </summary>
    /// <exception cref="ArgumentException">Either set is empty.</exception>
    public static double Auroc(IReadOnlyList<double> positive, IReadOnlyList<double> negative)
    {
        if (positive.Count == 0 || negative.Count == 0) throw new ArgumentException("AUROC needs at least one score on each side");
        var all = positive.Select(s => (s, 1)).Concat(negative.Select(s => (s, 0))).OrderBy(p => p.s).ToArray();
        // Rank-sum (Mann–Whitney U) with average ranks for ties.
        double rankSum = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].s == all[i].s) j++;
            double rank = (i + j + 1) / 2.0;
            for (int k = i; k < j; k++) if (all[k].Item2 == 1) rankSum += rank;
            i = j;
        }
        double u = rankSum - positive.Count * (positive.Count + 1) / 2.0;
        return u / ((double)positive.Count * negative.Count);
    }
}
