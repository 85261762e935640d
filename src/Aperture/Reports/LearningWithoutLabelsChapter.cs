using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative;
using Aperture.Generative.ContextEncoders;
using Aperture.Generative.Gan;
using Aperture.Generative.Transfer;
using static TorchSharp.torch;

namespace Aperture.Reports;

/// <summary>
/// The report chapter "Learning without labels" (issue 10): a denoising auto-encoder's reconstructions, context encoders
/// (L2 + adversarial and L2 alone) inpainting held-out images against the mean-image and nearest-neighbour baselines,
/// GAN samples and interpolations, the Fréchet table across generators with the Parzen-window estimate, and the
/// few-label table: what the learned encoders are worth when labels are few. It narrates the library's runs
/// (<see cref="FeatureLearnerRun"/>, <see cref="GanRun"/>, <see cref="GeneratorComparison"/>, <see cref="FewLabelTransfer"/>).
/// </summary>
public static class LearningWithoutLabelsChapter
{
    private static string F(double v, string format = "F2") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Adds the chapter.</summary>
    /// <param name="report">The report.</param>
    /// <param name="train">Fashion-MNIST training images (not disposed).</param>
    /// <param name="test">Fashion-MNIST test images (not disposed).</param>
    /// <param name="quick">The quick tour: small subsets, one epoch, one label count.</param>
    /// <param name="seed">Seed of everything.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="classifierRun">A classifier run for the Fréchet distance (the classification chapter's LeNet-5), or null to skip it.</param>
    /// <param name="vaeRun">The density chapter's Gaussian VAE run, or null.</param>
    public static void Add(HtmlReport report, LabeledImages train, LabeledImages test, bool quick, long seed, Device device, TextWriter log,
        string? classifierRun = null, string? vaeRun = null)
    {
        string dir = Path.Combine(report.Folder, "unsupervised");
        int limit = quick ? 1000 : 20_000, epochs = quick ? 1 : 3;
        int validation = (int)Math.Min(quick ? 500 : 2000, train.Count / 10), testImages = quick ? 300 : 2000;
        FeatureLearnerResults Learn(string model, params string[] set) => FeatureLearnerRun.Execute(new FeatureLearnerSettings
        {
            Model = model, OutputDirectory = Path.Combine(dir, model), Seed = seed, Epochs = epochs, Limit = limit, Validation = validation,
            TestImages = testImages, Set = set, Progress = ProgressMode.Lines, Log = log, TensorBoard = false,
        }, train, test, device);

        var ch = report.AddChapter("Learning without labels");
        ch.Paragraph("Networks trained on images alone — to reproduce them through a bottleneck, to undo noise, to fill in a hole, to fool a " +
            "discriminator — and then judged two ways: by what they make, and by how much their features help a classifier that sees only a few labels. " +
            $"Each learner trains {epochs} epoch{(epochs > 1 ? "s" : "")} on {limit:N0} Fashion-MNIST training images." +
            (quick ? " Quick mode: one short epoch each, so every figure here is a glimpse, far from the figures in the README." : ""));

        var dae = Learn("dae");
        ch.Heading("Denoising auto-encoder");
        ch.Paragraph($"Vincent et al. 2008: 25% of the pixels set to black (masking noise), the clean image as target, through a {((Generative.AutoEncoders.AutoEncoderOptions)dae.Options).CodeSize}-number " +
            $"bottleneck. Clean test reconstructions: mean squared error {F(dae.TestReconstructionMse ?? double.NaN, "F4")} on [0, 1] pixels.");
        ch.Figure(dae.Figures[0], "rows: test images, corrupted inputs, reconstructions", 560);

        ch.Heading("Context encoders: inpainting");
        // The quick tour skips the L2-only comparison.
        var contexts = quick ? [Learn("context-encoder")] : new List<FeatureLearnerResults> { Learn("context-encoder"), Learn("context-l2") };
        var table = contexts[0].Inpainting!;
        var rows = table.Rows.ToList();
        rows.AddRange(contexts.Skip(1).Select(c => c.Inpainting!.Rows[^1]));
        ch.Paragraph($"Pathak et al. 2016: the central 14x14 of each 28x28 image is hidden (filled with the mean pixel) and an encoder, a channel-wise fully connected layer " +
            "and a decoder predict it; trained with L2 + adversarial loss (λ_adv = 0.001, the paper's) and with L2 alone. Scored over the hole of " +
            $"{table.Images:N0} held-out test images as in the paper's table 1, against the mean training image and the nearest training image by the " +
            $"unmasked pixels (searched among {table.TrainImages:N0}).");
        ch.Table(["method", "mean L1", "mean L2", "PSNR (dB)"], rows.Select(s => (IReadOnlyList<string>)[s.Method, F(100 * s.L1) + "%", F(100 * s.L2) + "%", F(s.Psnr)]));
        ch.Figure(contexts[0].Figures[0], "rows: masked input, mean image, nearest neighbour, context encoder (L2 + adversarial), original", 560);
        if (contexts.Count > 1) ch.Figure(contexts[1].Figures[0], "the same with the L2-only context encoder", 560);

        var generators = Generators(ch, dir, train, quick, seed, device, log);
        if (vaeRun is not null) generators.Add(TrainedGenerator.Open(vaeRun, device));
        if (classifierRun is not null) Quality(ch, classifierRun, generators, train, test, quick, seed);

        ch.Heading("Few labels");
        var options = quick ? new FewLabelOptions { Labels = [100], Seeds = 2, Steps = 60 } : new FewLabelOptions { Labels = [100, 1000], Seeds = 3 };
        var few = FewLabelTransfer.Run([("dae", Path.Combine(dir, "dae")), ("context-encoder", Path.Combine(dir, "context-encoder"))], train, test, options, device, log,
            quick ? 1000 : 0);
        ch.Paragraph($"The same classifier — the learners' two-stage convolutional encoder and one linear layer — trained on {string.Join(" and ", options.Labels)} " +
            $"class-balanced labelled images: from scratch, on the frozen features of each pre-trained encoder, and fine-tuned from it (encoder at a tenth of the head's rate); " +
            $"{options.Seeds} seeds (label draws shared by every column), accuracy on {few.TestImages:N0} test images, mean ± sample standard deviation.");
        var columns = few.Cells.Select(c => (c.Encoder, c.Mode)).Distinct().ToList();
        ch.Table(["labels", .. columns.Select(c => c.Mode == "scratch" ? "scratch" : $"{c.Encoder} {c.Mode}")],
            options.Labels.Select(n => (IReadOnlyList<string>)[n.ToString(CultureInfo.InvariantCulture), .. columns.Select(c =>
                few.Cells.First(x => x.Labels == n && x.Encoder == c.Encoder && x.Mode == c.Mode) is var cell
                    ? $"{F(100 * cell.Mean, "F1")} ± {F(100 * cell.Spread, "F1")}" + (cell.GainOverScratch is double g ? $" ({100 * g:+0.0;-0.0} vs scratch)" : "") : "")]));
        ch.Paragraph("In brackets: the mean over seeds of the accuracy difference to scratch on the same label draw, in points — a paired comparison, " +
            "free of the draw-to-draw variation that dominates the spreads.");
    }

    private static List<TrainedGenerator> Generators(HtmlReport.Chapter ch, string dir, LabeledImages train, bool quick, long seed, Device device, TextWriter log)
    {
        ch.Heading("GAN samples and interpolations");
        var list = new List<TrainedGenerator>();
        foreach (string model in quick ? new[] { "dcgan" } : ["dcgan", "cgan"])
        {
            var (results, task) = GanRun.Execute(new GanSettings
            {
                Model = model, OutputDirectory = Path.Combine(dir, model), Seed = seed, Epochs = quick ? 1 : 3, Limit = quick ? 1000 : 20_000,
                Progress = ProgressMode.Lines, Log = log, TensorBoard = false,
            }, train, device);
            ch.Paragraph($"{model}: {results.Epochs} epochs on {results.TrainImages:N0} images; health: {results.HealthMessage}");
            ch.Figure(results.Figures[0], $"{model} samples", 360);
            ch.Figure(results.Figures[2], $"{model}: spherical interpolation between latent pairs", 360);
            var sampler = new GanSampler(task.SampleGenerator, train.ClassNames);
            list.Add(new TrainedGenerator(model, (n, s) => sampler.Sample(n, s).Images));
        }
        return list;
    }

    private static void Quality(HtmlReport.Chapter ch, string classifierRun, IReadOnlyList<TrainedGenerator> generators, LabeledImages train, LabeledImages test,
        bool quick, long seed)
    {
        int count = (int)Math.Min(quick ? 500 : 5000, train.Count - 1000);
        var table = GeneratorComparison.Run(classifierRun, generators, train, test, count, seed, quick ? 200 : 1000);
        ch.Heading("How good are the samples");
        ch.Paragraph($"Fréchet distance between the {table.TestImages:N0} test images and {table.Samples:N0} samples of each generator, on the penultimate features of " +
            $"our own {table.Classifier} (so not comparable with published Inception FIDs); real training images give the floor. The Parzen-window column is the " +
            "GAN paper's protocol (a Gaussian window on the samples, σ chosen on 1,000 held-out training images); it is known to be far from the true " +
            "log-likelihood in 784 dimensions and to reward memorising the training set — the real-images row scores best by construction (Theis et al. 2016).");
        string P(ParzenResults? p) => p is null ? "" : $"{F(p.MeanLogLikelihood, "F0")} ± {F(p.StandardError, "F0")} (σ {F(p.Bandwidth, "F3")})";
        ch.Table(["generator", "Fréchet distance", "Parzen nats/image"],
            [["real training images (floor)", F(table.RealVsReal), P(table.RealParzen)], .. table.Rows.Select(r => (IReadOnlyList<string>)[r.Generator, F(r.Frechet), P(r.Parzen)])]);
    }
}
