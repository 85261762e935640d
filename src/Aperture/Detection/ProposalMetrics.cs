using Aperture.Ops;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Quality of class-agnostic object proposals (Uijlings et al. 2013, section 5): recall (the fraction of
/// ground-truth boxes covered by some proposal with IoU ≥ a threshold) against the number of proposals, and
/// the mean average best overlap (MABO).
/// </summary>
public static class ProposalMetrics
{
    /// <summary>
    /// Best overlap of each ground-truth box with the first <paramref name="count"/> proposals, float64 array of
    /// length G (0 when there are no proposals).
    /// </summary>
    /// <param name="proposals">Ranked proposals <c>[K, 4]</c>.</param>
    /// <param name="truth">Ground-truth boxes <c>[G, 4]</c>.</param>
    /// <param name="count">How many of the top proposals to use (all when ≤ 0 or larger than K).</param>
    public static double[] BestOverlaps(Tensor proposals, Tensor truth, int count = 0)
    {
        var p = Boxes.ToArray(proposals);
        var g = Boxes.ToArray(truth);
        int k = p.Length / 4;
        if (count > 0 && count < k) k = count;
        var best = new double[g.Length / 4];
        for (int j = 0; j < best.Length; j++)
            for (int i = 0; i < k; i++)
                best[j] = Math.Max(best[j], BoxList.At(p, i).Iou(BoxList.At(g, j)));
        return best;
    }

    /// <summary>
    /// Recall at each proposal count: the fraction of all ground-truth boxes over the images whose best overlap
    /// with the image's top-N proposals is ≥ <paramref name="iouThreshold"/>.
    /// </summary>
    /// <param name="proposals">Ranked proposals <c>[K_i, 4]</c> per image (an image may have none: <c>[0, 4]</c>).</param>
    /// <param name="truths">Ground-truth boxes <c>[G_i, 4]</c> per image.</param>
    /// <param name="counts">Proposal counts N to evaluate.</param>
    /// <param name="iouThreshold">Overlap needed, 0.5 in the paper.</param>
    /// <returns>Recall for each entry of <paramref name="counts"/>; NaN when there is no ground truth at all.</returns>
    public static double[] Recall(IReadOnlyList<Tensor> proposals, IReadOnlyList<Tensor> truths, IReadOnlyList<int> counts, double iouThreshold = 0.5)
    {
        CheckPairs(proposals, truths);
        var recall = new double[counts.Count];
        for (int c = 0; c < counts.Count; c++)
        {
            if (counts[c] <= 0) throw new ArgumentException($"proposal counts must be positive, got {counts[c]}");
            long hit = 0, total = 0;
            for (int i = 0; i < truths.Count; i++)
            {
                var best = BestOverlaps(proposals[i], truths[i], counts[c]);
                total += best.Length;
                hit += best.Count(o => o >= iouThreshold);
            }
            recall[c] = total == 0 ? double.NaN : (double)hit / total;
        }
        return recall;
    }

    /// <summary>
    /// Mean average best overlap: for each class, the average over its ground-truth boxes of the best overlap with
    /// the top <paramref name="count"/> proposals (ABO), then the mean over classes. Without labels, the ABO over all boxes.
    /// </summary>
    /// <param name="proposals">Ranked proposals <c>[K_i, 4]</c> per image.</param>
    /// <param name="truths">Ground-truth boxes <c>[G_i, 4]</c> per image.</param>
    /// <param name="labels">Class label per ground-truth box <c>[G_i]</c> int64, or null.</param>
    /// <param name="count">How many top proposals to use per image (0: all).</param>
    public static double Mabo(IReadOnlyList<Tensor> proposals, IReadOnlyList<Tensor> truths, IReadOnlyList<Tensor>? labels = null, int count = 0)
    {
        CheckPairs(proposals, truths);
        if (labels != null && labels.Count != truths.Count)
            throw new ArgumentException($"labels are given for {labels.Count} images but ground truth for {truths.Count}");
        var perClass = new Dictionary<long, (double Sum, int N)>();
        for (int i = 0; i < truths.Count; i++)
        {
            var best = BestOverlaps(proposals[i], truths[i], count);
            var lab = labels is null ? new long[best.Length] : DetectionMetrics.Longs(labels[i], best.Length, $"image {i} labels");
            for (int j = 0; j < best.Length; j++)
            {
                perClass.TryGetValue(lab[j], out var acc);
                perClass[lab[j]] = (acc.Sum + best[j], acc.N + 1);
            }
        }
        return perClass.Count == 0 ? double.NaN : perClass.Values.Average(v => v.Sum / v.N);
    }

    private static void CheckPairs(IReadOnlyList<Tensor> proposals, IReadOnlyList<Tensor> truths)
    {
        if (proposals.Count != truths.Count)
            throw new ArgumentException($"proposals are given for {proposals.Count} images but ground truth for {truths.Count}");
    }
}
