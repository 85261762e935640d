using System.Diagnostics;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative.AutoEncoders;
using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Generative.Transfer;

/// <summary>One cell of the few-label table: an encoder, a mode and a label count, over several seeds.</summary>
/// <param name="Encoder">The encoder's label (<c>scratch</c> for none).</param>
/// <param name="Mode"><c>scratch</c>, <c>frozen</c> (linear head on fixed features) or <c>fine-tuned</c>.</param>
/// <param name="Labels">Labelled training images.</param>
/// <param name="Accuracies">Test accuracy per seed.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="Spread">Their sample standard deviation (0 for one seed).</param>
/// <param name="Seconds">Wall time of all seeds.</param>
/// <param name="GainOverScratch">Pre-trained cells: mean over seeds of (this accuracy − scratch's on the same label draw), a
/// paired comparison that removes the draw-to-draw variation both share; null for scratch.</param>
/// <param name="GainSpread">Sample standard deviation of those per-seed differences; null for scratch.</param>
public sealed record FewLabelCell(string Encoder, string Mode, int Labels, IReadOnlyList<double> Accuracies, double Mean, double Spread, double Seconds,
    double? GainOverScratch = null, double? GainSpread = null)
{
    /// <summary>Mean and sample standard deviation of numbers (0 spread for one).</summary>
    public static (double Mean, double Spread) Summary(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return (mean, values.Count > 1 ? Math.Sqrt(values.Sum(a => (a - mean) * (a - mean)) / (values.Count - 1)) : 0);
    }
}

/// <summary>The few-label table.</summary>
/// <param name="TestImages">Test images scored (the full test set unless limited).</param>
/// <param name="Source">Where the images came from.</param>
/// <param name="Options">The protocol.</param>
/// <param name="Cells">Every (encoder, mode, labels) cell.</param>
public sealed record FewLabelTable(long TestImages, string Source, FewLabelOptions Options, IReadOnlyList<FewLabelCell> Cells);

/// <summary>
/// Few-label transfer (issue 10, item 1): a feature learner's pre-trained encoder reused to classify Fashion-MNIST from
/// 100 / 1,000 / 10,000 labelled training images, <b>frozen</b> (a linear head trained on its fixed features) and
/// <b>fine-tuned</b> (head and encoder trained, the encoder at a tenth of the rate), against the same
/// <see cref="FewLabelClassifier"/> trained from <b>scratch</b> on the same labels — the protocol of the self-supervised
/// literature (e.g. Pathak et al. 2016, section 5.2; Doersch et al. 2015), with class-balanced seeded draws
/// (<see cref="LabelDraw"/>) shared by every column, several seeds, and accuracy on the whole test set.
/// </summary>
public static class FewLabelTransfer
{
    /// <summary>Runs the table.</summary>
    /// <param name="encoders">Pre-trained feature learners: (label, run folder or checkpoint).</param>
    /// <param name="train">Training images (labels drawn from them); not disposed.</param>
    /// <param name="test">Test images; not disposed.</param>
    /// <param name="options">The protocol (validated here).</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines, or null.</param>
    /// <param name="testLimit">Score the first this many test images (0: all).</param>
    /// <exception cref="ArgumentException">Bad options, or no encoder.</exception>
    public static FewLabelTable Run(IReadOnlyList<(string Label, string Run)> encoders, LabeledImages train, LabeledImages test, FewLabelOptions options,
        Device device, TextWriter? log = null, int testLimit = 0)
    {
        options.Validate();
        if (encoders.Count == 0) throw new ArgumentException("--encoder: give at least one run of 'train autoencoder' or 'train context-encoder'");
        int classes = train.ClassNames.Count;
        var loaded = encoders.Select(e => (e.Label, e.Run, Encoder: FeatureLearners.LoadEncoder(e.Run, device).Encoder)).ToList();
        long m = testLimit > 0 ? Math.Min(testLimit, test.Count) : test.Count;
        using var testX = Scale(test.Images.narrow(0, 0, m)).to(device);
        using var testY = test.Labels.narrow(0, 0, m).to(device);
        var cells = new List<FewLabelCell>();
        foreach (int n in options.Labels)
        {
            if (n > train.Count) throw new ArgumentException($"--labels {n}: only {train.Count} training images");
            int steps = options.StepsFor(n);
            var draws = Enumerable.Range(0, options.Seeds).Select(s => LabelDraw.ClassBalanced(train.Labels, classes, n, 1000 + s)).ToList();
            var scratch = new Dictionary<int, FewLabelCell>();
            foreach (int width in loaded.Select(l => l.Encoder.Width).Distinct())
            {
                string label = loaded.Count(l => l.Encoder.Width == width) == loaded.Count ? "scratch" : $"scratch W={width}";
                cells.Add(scratch[width] = Cell(label, "scratch", n, options, log, s =>
                {
                    Torch.Seed(1000 + s);
                    using var model = new FewLabelClassifier(new ConvEncoder(width), classes);
                    model.to(device);
                    return TrainWhole(model, train, draws[s], testX, testY, options, steps, encoderRate: 1, s);
                }));
            }
            foreach (var (label, run, encoder) in loaded)
            {
                using var testFeatures = Features(encoder, testX);
                cells.Add(Paired(scratch[encoder.Width], Cell(label, "frozen", n, options, log, s =>
                {
                    Torch.Seed(1000 + s);
                    using var head = nn.Linear(encoder.FeatureSize, classes);
                    head.to(device);
                    using var trainFeatures = Features(encoder, Scale(train.Images.index_select(0, draws[s])).to(device));
                    return TrainHead(head, trainFeatures, train.Labels.index_select(0, draws[s]).to(device), testFeatures, testY, options, steps, s);
                }), log));
                cells.Add(Paired(scratch[encoder.Width], Cell(label, "fine-tuned", n, options, log, s =>
                {
                    Torch.Seed(1000 + s);
                    var fresh = FeatureLearners.LoadEncoder(run, device).Encoder;
                    using var model = new FewLabelClassifier(fresh, classes);
                    model.to(device);
                    return TrainWhole(model, train, draws[s], testX, testY, options, steps, options.FineTuneRate, s);
                }), log));
            }
            foreach (var d in draws) d.Dispose();
        }
        return new FewLabelTable(m, train.Source, options, cells);
    }

    private static FewLabelCell Cell(string encoder, string mode, int labels, FewLabelOptions options, TextWriter? log, Func<int, double> accuracy)
    {
        var clock = Stopwatch.StartNew();
        var acc = Enumerable.Range(0, options.Seeds).Select(accuracy).ToList();
        var (mean, spread) = FewLabelCell.Summary(acc);
        var cell = new FewLabelCell(encoder, mode, labels, acc, mean, spread, clock.Elapsed.TotalSeconds);
        log?.WriteLine($"[transfer] {labels} labels, {encoder} {mode}: {mean:P1} ± {spread:P1} over {acc.Count} seeds ({cell.Seconds:F0} s)");
        return cell;
    }

    private static FewLabelCell Paired(FewLabelCell scratch, FewLabelCell cell, TextWriter? log)
    {
        var (gain, spread) = FewLabelCell.Summary(cell.Accuracies.Zip(scratch.Accuracies, (a, b) => a - b).ToList());
        log?.WriteLine($"[transfer] {cell.Labels} labels, {cell.Encoder} {cell.Mode} − scratch, paired by label draw: {100 * gain:+0.0;-0.0} ± {100 * spread:F1} points");
        return cell with { GainOverScratch = gain, GainSpread = spread };
    }

    /// <summary>Images <c>uint8 [N, 1, 28, 28]</c> → float in [-1, 1], the feature learners' input range.</summary>
    public static Tensor Scale(Tensor images) => images.to(ScalarType.Float32).div(127.5).sub(1);

    /// <summary>Flattened features <c>[N, F]</c> of a frozen encoder (eval mode: batch-norm statistics fixed).</summary>
    public static Tensor Features(ConvEncoder encoder, Tensor images)
    {
        encoder.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long i = 0; i < images.shape[0]; i += 1000)
        {
            using var scope = NewDisposeScope();
            parts.Add(encoder.forward(images.narrow(0, i, Math.Min(1000, images.shape[0] - i))).flatten(1).DetachFromDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    private static double TrainWhole(FewLabelClassifier model, LabeledImages train, Tensor draw, Tensor testX, Tensor testY, FewLabelOptions options,
        int steps, double encoderRate, int seed)
    {
        var device = testX.device;
        using var x = Scale(train.Images.index_select(0, draw)).to(device);
        using var y = train.Labels.index_select(0, draw).to(device);
        var head = ScalarSafeOptimizers.Adam(model.Head.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        var body = ScalarSafeOptimizers.Adam(model.Encoder.parameters(), options.LearningRate * encoderRate, weightDecay: options.WeightDecay);
        model.train();
        Steps(x, y, options, steps, seed, batch =>
        {
            var loss = nn.functional.cross_entropy(model.forward(batch.X), batch.Y);
            head.zero_grad();
            body.zero_grad();
            loss.backward();
            head.step();
            body.step();
        });
        model.eval();
        return Accuracy(model.forward, testX, testY);
    }

    private static double TrainHead(Linear head, Tensor features, Tensor labels, Tensor testFeatures, Tensor testY, FewLabelOptions options, int steps, int seed)
    {
        var optimizer = ScalarSafeOptimizers.Adam(head.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        Steps(features, labels, options, steps, seed, batch =>
        {
            var loss = nn.functional.cross_entropy(head.forward(batch.X), batch.Y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        });
        return Accuracy(head.forward, testFeatures, testY);
    }

    private static void Steps(Tensor x, Tensor y, FewLabelOptions options, int steps, int seed, Action<(Tensor X, Tensor Y)> step)
    {
        long n = x.shape[0];
        int batch = (int)Math.Min(options.BatchSize, n);
        using var generator = new Generator((ulong)(7919 + seed));
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var pick = randperm(n, generator: generator).narrow(0, 0, batch).to(x.device);
            step((x.index_select(0, pick), y.index_select(0, pick)));
        }
    }

    private static double Accuracy(Func<Tensor, Tensor> logits, Tensor x, Tensor y)
    {
        using var noGrad = no_grad();
        long right = 0;
        for (long i = 0; i < x.shape[0]; i += 1000)
        {
            using var scope = NewDisposeScope();
            long b = Math.Min(1000, x.shape[0] - i);
            right += logits(x.narrow(0, i, b)).argmax(1).eq(y.narrow(0, i, b)).sum().item<long>();
        }
        return right / (double)x.shape[0];
    }
}
