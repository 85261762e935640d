using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Detection;
using Aperture.Generative;
using Aperture.Imaging;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>
/// The report chapter "Density models": how well KDE, probabilistic PCA, the density network and the VAE assign
/// probability to unseen Fashion-MNIST images, on the same split — the likelihood table in nats, VAE samples beside
/// PCA reconstructions, KDE's curse of dimensionality, the density network's estimator against R, the VAE's 2-D
/// manifold and interpolations, and outlier detection by likelihood.
/// </summary>
public static class DensityChapter
{
    private static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Fits every density model and adds the chapter; returns the likelihood table.</summary>
    /// <param name="report">The report.</param>
    /// <param name="train">Fashion-MNIST training images (not disposed).</param>
    /// <param name="test">Fashion-MNIST test images (not disposed).</param>
    /// <param name="quick">The quick tour: subsets, few epochs and samples (about a minute on 2 cores).</param>
    /// <param name="seed">Seed of everything.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines.</param>
    public static DensityTable Add(HtmlReport report, LabeledImages train, LabeledImages test, bool quick, long seed, Device device, TextWriter log)
    {
        string dir = Path.Combine(report.Folder, "density");
        int limit = quick ? 2000 : 0, testLimit = quick ? 200 : 2000, validation = quick ? 500 : 5000;
        DensityData Load(DensityDataKind kind) => DensityData.From(train, test, kind, seed, Math.Min(validation, (int)train.Count / 10), limit, testLimit);
        var settings = new DensitySettings
        {
            Model = "kde", OutputDirectory = Path.Combine(dir, "runs"), Seed = seed, Budget = quick ? RunBudget.Quick : RunBudget.Report,
            Limit = limit, TestLimit = testLimit, Validation = validation, Progress = ProgressMode.Lines, Log = log, TensorBoard = false,
        };
        var table = DensityComparison.Execute(settings, device, null, Load);
        var ch = report.AddChapter("Density models");
        ch.Paragraph("How well does each model assign probability to images it has not seen? Every model is fitted to the same training images " +
            $"and scored on the same first {table.TestExamples} Fashion-MNIST test images ({table.Source}). Dequantised rows are densities of " +
            "y = (v + u)/256 on [0,1)^784 (u uniform, fixed seed): they compare with each other, and bits/dim = −(log p − 784 ln 256)/(784 ln 2) " +
            "bounds the cost of the 8-bit image. Binarised rows are probabilities of binary images (each pixel on with probability v/255, fixed seed) " +
            "and compare only with each other. The papers' figures are on binarised MNIST, a different and easier dataset: they show the scale, not a rank." +
            (quick ? " Quick mode: subsets and a few epochs, so the trained models are far from converged." : ""));
        ch.Table(["model", "data", "log-likelihood (nats/image)", "± s.e.", "bits/dim", "how", "fit s"],
            table.Rows.Select(r => (IReadOnlyList<string>)[r.Label, r.Results.Data, F(r.Results.TestLogLikelihood), F(r.Results.TestLogLikelihoodStdError),
                F(r.Results.BitsPerDimension, "F3"), r.Results.Estimator, F(r.Results.FitSeconds)])
            .Concat(table.Papers.Select(p => (IReadOnlyList<string>)[p.Label, p.Dataset, F(p.LogLikelihood), "", "", p.Source, ""])));
        var byLabel = table.Rows.ToDictionary(r => r.Label);
        string vaeLabel = $"vae L={DensityComparison.SharedLatent} gaussian", ppcaLabel = $"ppca q={DensityComparison.SharedLatent}";
        if (byLabel.TryGetValue(vaeLabel, out var vaeRow) && byLabel.TryGetValue(ppcaLabel, out var ppcaRow))
        {
            double gap = vaeRow.Results.TestLogLikelihood - ppcaRow.Results.TestLogLikelihood;
            ch.Paragraph($"Like with like — the same {DensityComparison.SharedLatent} latent dimensions, the same dequantised pixels: the Gaussian-decoder VAE " +
                $"scores {F(vaeRow.Results.TestLogLikelihood)} nats (an importance-weighted lower-bound estimate), PPCA {F(ppcaRow.Results.TestLogLikelihood)} (exact): " +
                (gap > 0 ? $"the non-linear decoder is {F(gap)} nats per image better." : $"the VAE is {F(-gap)} nats worse here — it has not trained long enough to beat the linear model."));
        }

        ch.Heading("Samples and reconstructions");
        foreach (var (label, caption) in new[] { (vaeLabel, "VAE samples (decoder means at z ~ N(0, I))"), ($"vae L={DensityComparison.SharedLatent} bernoulli", "Bernoulli VAE samples (pixel probabilities)") })
            if (byLabel.TryGetValue(label, out var row)) ch.Figure(row.Results.Figures.Samples, caption, 300);
        foreach (var label in new[] { "ppca q=60", "ppca q=250", vaeLabel })
            if (byLabel.TryGetValue(label, out var row) && row.Results.Figures.Reconstructions is string rec)
                ch.Figure(rec, $"{label}: test images (odd rows) and reconstructions (even rows)", 300);
        if (byLabel.TryGetValue("ppca q=60", out var p60)) ch.Figure(p60.Results.Figures.Samples, "PPCA q=60 samples: a Gaussian's samples are noisy blurs", 300);

        CurseOfDimensionality(ch, dir, Load, quick, log);
        Spread(ch, dir, byLabel, Load, quick, device);
        Manifold(ch, dir, settings, Load, quick, device, byLabel, vaeLabel);
        Outliers(ch, test, table, quick, seed, device);
        return table;
    }

    private static void CurseOfDimensionality(HtmlReport.Chapter ch, string dir, Func<DensityDataKind, DensityData> load, bool quick, TextWriter log)
    {
        using var data = load(DensityDataKind.Dequantised);
        int[] dims = quick ? [2, 16, 128, 784] : [2, 8, 32, 128, 784];
        int[] sizes = quick ? [100, 300, 1000] : [100, 1000, 10_000, 50_000];
        using var val = data.Validation.narrow(0, 0, Math.Min(quick ? 200 : 500, data.Validation.shape[0]));
        using var heldOut = data.Test.narrow(0, 0, Math.Min(quick ? 200 : 500, data.Test.shape[0]));
        var points = KdeDimensionStudy.Run(data.Train, val, heldOut, dims, sizes, log);
        string path = Path.Combine(dir, "kde-curse.png");
        var curves = dims.Select(d => points.Where(p => p.Dimension == d).ToList())
            .Select(ps => new Curve($"d = {ps[0].Dimension}", ps.Select(p => p.KdeNatsPerDimension - p.GaussianNatsPerDimension).ToArray(),
                ps.Select(p => Math.Log10(p.TrainExamples)).ToArray())).ToList();
        PlotCurves.Write(path, curves, "KDE minus a Gaussian, held-out nats per dimension", xLabel: "log10 training images", yLabel: "nats / dimension");
        ch.Heading("KDE and the curse of dimensionality");
        ch.Paragraph("Held-out log-likelihood per dimension of a Gaussian KDE (bandwidth chosen on held-out images for each point) minus that of one " +
            "full-covariance Gaussian fitted to the same data, on PCA projections to d dimensions. Above zero the KDE wins. In few dimensions a few " +
            "hundred kernel centres already beat the Gaussian; in hundreds of dimensions every test image is far from every centre, the best bandwidth " +
            "is large and the KDE stays below a single Gaussian even with all training images.");
        ch.Figure(path, "KDE − Gaussian, nats/dimension, against training-set size, one curve per projection dimension", 640);
        ch.Table(["d", "N", "bandwidth", "KDE nats/dim", "Gaussian nats/dim"],
            points.Select(p => (IReadOnlyList<string>)[p.Dimension.ToString(CultureInfo.InvariantCulture), p.TrainExamples.ToString(CultureInfo.InvariantCulture),
                F(p.Bandwidth, "G3"), F(p.KdeNatsPerDimension, "F3"), F(p.GaussianNatsPerDimension, "F3")]));
    }

    private static void Spread(HtmlReport.Chapter ch, string dir, IReadOnlyDictionary<string, DensityRow> byLabel, Func<DensityDataKind, DensityData> load, bool quick, Device device)
    {
        if (!byLabel.TryGetValue("density-net L=2", out var row)) return;
        var (model, _) = DensityModels.Load(row.RunFolder, device);
        using var disposeModel = model;
        if (model is not DensityNetwork net) return;
        using var data = load(DensityDataKind.Dequantised);
        using var x = data.Test.narrow(0, 0, Math.Min(quick ? 50 : 100, data.Test.shape[0]));
        int[] rs = quick ? [1, 10, 100, 1000] : [1, 10, 100, 1000, 10_000];
        var points = EstimatorSpread.Run(net, x, rs, quick ? 5 : 10, quick ? 10_000 : 100_000);
        string path = Path.Combine(dir, "density-net-spread.png");
        PlotCurves.Write(path, [new("bias (estimate − reference)", points.Select(p => p.Bias).ToArray(), points.Select(p => Math.Log10(p.Samples)).ToArray()),
            new("spread (std over repeats)", points.Select(p => p.Spread).ToArray(), points.Select(p => Math.Log10(p.Samples)).ToArray())],
            "Density network: Monte-Carlo estimate of log p(x) against R", xLabel: "log10 R (prior samples)", yLabel: "nats");
        ch.Heading("The density network needs many samples");
        ch.Paragraph("MacKay's density network estimates log p(x) by averaging p(x | z) over R samples z from the prior. Each estimate is biased low " +
            $"(Jensen) and noisy; bias and spread over {x.shape[0]} test images, against a reference with {(quick ? "10,000" : "100,000")} samples:");
        ch.Figure(path, "bias and spread of the estimate against R", 640);
        ch.Table(["R", "bias (nats)", "spread (nats)"], points.Select(p => (IReadOnlyList<string>)[p.Samples.ToString(CultureInfo.InvariantCulture), F(p.Bias, "F2"), F(p.Spread, "F2")]));
    }

    private static void Manifold(HtmlReport.Chapter ch, string dir, DensitySettings settings, Func<DensityDataKind, DensityData> load, bool quick, Device device,
        IReadOnlyDictionary<string, DensityRow> byLabel, string vaeLabel)
    {
        using var data = load(DensityDataKind.Binarised);
        var (fitted, _) = DensityRun.Execute(settings with
        {
            Model = "vae", Assignments = ["latent=2", "decoder=bernoulli", "eval_samples=" + (quick ? 10 : 100)], OutputDirectory = Path.Combine(dir, "runs", "vae-2d"),
        }, device, data);
        using var disposeVae = fitted.Model;
        ch.Heading("The VAE's latent space");
        string manifold = Path.Combine(dir, "vae-manifold.png");
        LatentFigures.Manifold((VariationalAutoencoder)fitted.Model, manifold);
        ch.Figure(manifold, "Bernoulli VAE with 2 latents: decoder means over a grid of z at Gaussian quantiles 0.05 … 0.95 (Kingma & Welling, figure 4)", 420);
        if (!byLabel.TryGetValue(vaeLabel, out var row)) return;
        var (model, _) = DensityModels.Load(row.RunFolder, device);
        using var disposeModel = model;
        using var cont = load(DensityDataKind.Dequantised);
        using var from = cont.Test.narrow(0, 0, 6);
        using var to = cont.Test.narrow(0, 6, 6);
        string path = Path.Combine(dir, "vae-interpolations.png");
        LatentFigures.Interpolations((VariationalAutoencoder)model, from, to, path);
        ch.Figure(path, $"{vaeLabel}: straight lines between the encodings of two test images (originals at the ends)", 560);
    }

    private static void Outliers(HtmlReport.Chapter ch, LabeledImages test, DensityTable table, bool quick, long seed, Device device)
    {
        int n = (int)Math.Min(quick ? 200 : 500, test.Count);
        using var inside = test.Images.narrow(0, 0, n);
        using var items = test.Subset(arange(0, n, dtype: ScalarType.Int64));
        var sets = OutlierStudy.Sets(inside, items, seed);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var row in table.Rows)
        {
            var (model, _) = DensityModels.Load(row.RunFolder, device);
            using var disposeModel = model;
            var scores = OutlierStudy.Score(model, inside, sets, seed);
            rows.Add([row.Label, .. scores.Select(s => F(s.Auroc, "F3"))]);
        }
        foreach (var (_, images) in sets) images.Dispose();
        ch.Heading("Outliers by likelihood");
        ch.Paragraph($"AUROC of the log-likelihood as a score that an image is a Fashion-MNIST test image ({n} of them) rather than one of {n} outliers: " +
            "1 separates perfectly, 0.5 is chance, below 0.5 the model gives the outliers higher likelihood than real items — the known failure of " +
            "likelihood models on simpler images (Nalisnick et al. 2019). Read each row's failures from the table itself.");
        ch.Table(["model", .. sets.Select(s => s.Name)], rows);
    }
}
