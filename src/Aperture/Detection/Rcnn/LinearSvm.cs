namespace Aperture.Detection.Rcnn;

/// <summary>
/// Settings of the R-CNN SVMs (from the authors' code: positive loss weight 2, bias multiplier 10; C differs, see
/// <see cref="C"/>).
/// </summary>
public sealed record SvmOptions
{
    /// <summary>
    /// Hinge-loss weight C of the objective ½‖w‖² + C Σ max(0, 1 − y f(x)): 0.01, where the authors used 0.001 for
    /// 4,096-wide fc7 features. Ours are 256 wide (both scaled to mean norm 20); on the validation scenes of one trained
    /// run, C = 0.001, 0.003, 0.01, 0.03, 0.1, 1 scored VOC mAP@0.5 0.707, 0.709, 0.720, 0.713, 0.716, 0.707.
    /// </summary>
    public double C { get; init; } = 0.01;

    /// <summary>Extra weight of the positives' hinge loss.</summary>
    public double PositiveWeight { get; init; } = 2;

    /// <summary>The bias is learnt as the weight of a constant feature of this value (liblinear's -B).</summary>
    public double BiasMultiplier { get; init; } = 10;

    /// <summary>Dual coordinate descent passes over the data per training.</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Hard-negative mining rounds (1: no mining, train once on the initial negatives).</summary>
    public int MiningRounds { get; init; } = 4;

    /// <summary>Negatives in the first round, as a multiple of the positives.</summary>
    public double InitialNegativesPerPositive { get; init; } = 2;

    /// <summary>A negative is hard when it scores above this (the margin, −1).</summary>
    public double HardThreshold { get; init; } = -1.0001;

    /// <summary>Cached negatives scoring below this are evicted as easy.</summary>
    public double EasyThreshold { get; init; } = -1.2;
}

/// <summary>
/// A linear SVM f(x) = w·x + b trained on the primal objective ½‖w‖² + C Σ cᵢ max(0, 1 − yᵢ f(xᵢ)) (L1 hinge loss)
/// by dual coordinate descent (Hsieh et al., ICML 2008, the solver of liblinear that R-CNN used), with
/// R-CNN's hard-negative mining: train on all positives and a few negatives, score every negative, add the hard ones
/// (inside the margin) to the cache and drop easy ones, retrain, repeat.
/// </summary>
public sealed class LinearSvm
{
    /// <summary>Creates an SVM from weights.</summary>
    public LinearSvm(float[] weights, float bias)
    {
        Weights = weights;
        Bias = bias;
    }

    /// <summary>Weights w, length D.</summary>
    public float[] Weights { get; }

    /// <summary>Bias b.</summary>
    public float Bias { get; }

    /// <summary>Decision value w·x + b of row <paramref name="row"/> of a flat feature matrix <c>[N, D]</c>.</summary>
    public double Score(float[] x, int row)
    {
        int d = Weights.Length; double s = Bias; int o = row * d;
        for (int j = 0; j < d; j++) s += Weights[j] * x[o + j];
        return s;
    }

    /// <summary>The primal objective on rows of a feature matrix with labels ±1.</summary>
    public double Objective(float[] x, IReadOnlyList<int> rows, IReadOnlyList<sbyte> labels, SvmOptions o)
    {
        double reg = 0;
        foreach (float w in Weights) reg += w * (double)w;
        reg += Bias / o.BiasMultiplier * (Bias / o.BiasMultiplier);
        double loss = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            double m = 1 - labels[i] * Score(x, rows[i]);
            if (m > 0) loss += (labels[i] > 0 ? o.PositiveWeight : 1) * m;
        }
        return 0.5 * reg + o.C * loss;
    }

    /// <summary>
    /// Trains on rows of a flat feature matrix <paramref name="x"/> <c>[N, D]</c> (row-major) with labels ±1 by dual
    /// coordinate descent, visiting the rows in a random order each epoch.
    /// </summary>
    public static LinearSvm Train(float[] x, int dim, IReadOnlyList<int> rows, IReadOnlyList<sbyte> labels, SvmOptions o, Random rng)
    {
        int n = rows.Count;
        var w = new double[dim + 1];
        var alpha = new double[n];
        var q = new double[n];
        double bm = o.BiasMultiplier;
        for (int i = 0; i < n; i++)
        {
            double s = bm * bm; int off = rows[i] * dim;
            for (int j = 0; j < dim; j++) s += x[off + j] * (double)x[off + j];
            q[i] = s;
        }
        var order = Enumerable.Range(0, n).ToArray();
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double maxPg = 0;
            foreach (int i in order)
            {
                int off = rows[i] * dim; int y = labels[i];
                double upper = o.C * (y > 0 ? o.PositiveWeight : 1);
                double g = w[dim] * bm;
                for (int j = 0; j < dim; j++) g += w[j] * x[off + j];
                g = y * g - 1;
                double pg = alpha[i] == 0 ? Math.Min(g, 0) : alpha[i] >= upper ? Math.Max(g, 0) : g;
                maxPg = Math.Max(maxPg, Math.Abs(pg));
                if (pg == 0) continue;
                double old = alpha[i];
                alpha[i] = Math.Min(Math.Max(old - g / q[i], 0), upper);
                double step = (alpha[i] - old) * y;
                if (step == 0) continue;
                for (int j = 0; j < dim; j++) w[j] += step * x[off + j];
                w[dim] += step * bm;
            }
            if (maxPg < 1e-4) break;
        }
        return new LinearSvm(w.Take(dim).Select(v => (float)v).ToArray(), (float)(w[dim] * bm));
    }

    /// <summary>
    /// Trains with hard-negative mining. <paramref name="x"/> is a flat feature matrix <c>[N, D]</c>; positives and
    /// negatives are row indices into it.
    /// </summary>
    /// <param name="x">Features, row-major.</param>
    /// <param name="dim">D.</param>
    /// <param name="positives">Rows of the positives (all used in every round).</param>
    /// <param name="negatives">Rows of all negatives (the pool mined from).</param>
    /// <param name="o">Settings.</param>
    /// <param name="rng">Random source (initial negatives, visiting order).</param>
    /// <param name="objectives">If given, receives the primal objective over all positives and all negatives after each round.</param>
    public static LinearSvm TrainWithHardNegatives(float[] x, int dim, IReadOnlyList<int> positives, IReadOnlyList<int> negatives, SvmOptions o,
        Random rng, List<double>? objectives = null)
    {
        if (positives.Count == 0) return new LinearSvm(new float[dim], -1);
        var pool = negatives.ToArray();
        rng.Shuffle(pool);
        int initial = Math.Min(pool.Length, Math.Max(1, (int)(o.InitialNegativesPerPositive * positives.Count)));
        var cache = new HashSet<int>(pool.Take(initial));
        var allRows = positives.Concat(negatives).ToList();
        var allLabels = positives.Select(_ => (sbyte)1).Concat(negatives.Select(_ => (sbyte)-1)).ToList();
        LinearSvm svm = null!;
        for (int round = 0; round < Math.Max(1, o.MiningRounds); round++)
        {
            var rows = positives.Concat(cache.OrderBy(r => r)).ToList();
            var labels = positives.Select(_ => (sbyte)1).Concat(cache.Select(_ => (sbyte)-1)).ToList();
            svm = Train(x, dim, rows, labels, o, rng);
            objectives?.Add(svm.Objective(x, allRows, allLabels, o));
            if (round == o.MiningRounds - 1) break;
            int added = 0;
            foreach (int r in pool)
            {
                double s = svm.Score(x, r);
                if (s > o.HardThreshold) { if (cache.Add(r)) added++; }
                else if (s < o.EasyThreshold) cache.Remove(r);
            }
            if (added == 0) break;
        }
        return svm;
    }
}
