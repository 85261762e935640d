using Aperture.Nn;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Ops;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Detection.Rcnn;

/// <summary>What the three R-CNN training stages did.</summary>
/// <param name="FineTuning">The trainer's result for the fine-tuning stage.</param>
/// <param name="SvmObjectives">Per class, the SVM primal objective over all its positives and negatives after each mining round.</param>
/// <param name="SvmPositives">Positive examples (ground-truth boxes) over all classes.</param>
/// <param name="SvmNegatives">Regions in the negative pool.</param>
/// <param name="RegressionExamples">Proposals that trained the box regressors.</param>
/// <param name="FineTuneSeconds">Time of stage 1.</param>
/// <param name="LinearSeconds">Time of stages 2 and 3 (features, SVMs, regressors).</param>
public sealed record RcnnStages([property: System.Text.Json.Serialization.JsonIgnore] TrainingResult FineTuning, IReadOnlyList<IReadOnlyList<double>> SvmObjectives, int SvmPositives, int SvmNegatives,
    int RegressionExamples, double FineTuneSeconds, double LinearSeconds);

/// <summary>
/// R-CNN training in the paper's three stages: (1) fine-tune the region network on warped proposals as a (K+1)-way
/// classifier (IoU ≥ 0.5 with a ground-truth box: its class, otherwise background), with the <see cref="Trainer{TBatch}"/>;
/// (2) one-vs-rest linear SVMs on the fc7 features with hard-negative mining (positives: ground-truth boxes; negatives:
/// proposals with IoU &lt; 0.3 with every box of the class) over every proposal of every training image, as in the paper
/// (<see cref="RcnnOptions.SvmImages"/> and <see cref="RcnnOptions.SvmProposalsPerImage"/> can restrict it to a sample);
/// (3) class-specific ridge box regression on the same features.
/// </summary>
public static class RcnnTraining
{
    /// <summary>
    /// Fine-tuning mini-batches of one epoch: <see cref="RcnnOptions.ImagesPerBatch"/> images, from each
    /// <see cref="RcnnOptions.RegionsPerImage"/> regions (a quarter foreground) among its proposals and ground truth,
    /// warped with context; labels 0 = background, class id + 1. Epoch 0 gives a fixed set (validation), later epochs
    /// are shuffled and flipped at random.
    /// </summary>
    public static IEnumerable<Batch> FineTuneBatches(IReadOnlyList<DetectionImage> images, RcnnOptions o, long seed, int epoch)
    {
        foreach (var im in images)
            if (im.Proposals is null) throw new ArgumentException($"image '{im.Id}' has no proposals: attach them first (ProposalCache.Attach)");
        var sampler = new EpochSampler(images.Count, seed, fileOrderAtEpochZero: true);
        foreach (var batch in sampler.Batches(epoch, o.ImagesPerBatch))
        {
            var rng = batch.Random();
            var crops = new List<Tensor>(); var labels = new List<Tensor>();
            foreach (long i in batch.Examples)
            {
                var im = images[(int)i];
                var s = RoiSampler.Sample(im.Proposals!, im.Boxes, im.Labels, RcnnDetector.Coder, o.RegionsPerImage,
                    o.ForegroundFraction, o.ForegroundIou, 0, o.ForegroundIou, rng);
                var c = RegionWarp.Warp(Backbone.Normalize(im.Image), s.Rois, o.WarpSize, o.ContextPadding);
                if (epoch > 0 && rng.NextDouble() < 0.5) c = c.flip(3);
                crops.Add(c); labels.Add(s.Labels);
            }
            yield return new Batch(cat(crops, 0), cat(labels, 0));
        }
    }

    /// <summary>The checkpoint module holding the SVMs and box regressors, beside the network's <c>model</c>.</summary>
    public const string LinearModule = "linear";

    /// <summary>Trains all three stages and returns the detector.</summary>
    /// <param name="train">Training images with proposals.</param>
    /// <param name="validation">Validation images with proposals (fine-tuning's best epoch), or null.</param>
    /// <param name="classNames">Object class names.</param>
    /// <param name="o">R-CNN settings.</param>
    /// <param name="training">Fine-tuning epochs, optimizer, output folder, ...</param>
    /// <param name="proposals">Proposal source name (stored in the checkpoint).</param>
    /// <param name="device">Where to train.</param>
    /// <param name="log">Progress lines, or null.</param>
    /// <param name="body">Pre-trained weights the conv body starts from, or null for from scratch.</param>
    /// <remarks>
    /// The SVMs and box regressors are trained on the features of the run's model checkpoint (<c>best.ckpt</c> when
    /// validation picked one, else <c>last.ckpt</c>) and added to it, so that one file is the whole detector.
    /// </remarks>
    public static (RcnnDetector Detector, RcnnStages Stages) Train(IReadOnlyList<DetectionImage> train, IReadOnlyList<DetectionImage>? validation,
        IReadOnlyList<string> classNames, RcnnOptions o, TrainingOptions training, string? proposals, Device device, TextWriter? log = null,
        BackboneWeights? body = null)
    {
        o.Validate();
        if (train.Count == 0) throw new ArgumentException("no training images");
        Core.Torch.Seed(training.Seed);
        int k = classNames.Count;
        var network = new RcnnNetwork(k, o.PoolSize, o.HiddenSize);
        network.to(device);
        string? origin = body?.CopyTo(network.Backbone, network.Head);
        var tOptions = training with { Card = Detectors.Card(RcnnMethod.Id, classNames, network.Backbone.Widths, o, proposals, origin) };

        // Stage 1: fine-tuning as a (K+1)-way region classifier.
        var sw = Stopwatch.StartNew();
        var task = new ClassificationTask(network, tOptions);
        var trainer = new Trainer<Batch>(task, tOptions);
        var result = trainer.Fit(epoch => FineTuneBatches(train, o, training.Seed, epoch),
            validation is null || validation.Count == 0 ? null : () => FineTuneBatches(validation, o, training.Seed, 0),
            new EpochSampler(train.Count, training.Seed).BatchCount(o.ImagesPerBatch));
        double fineTune = sw.Elapsed.TotalSeconds;
        // The model the run folder stands for is best.ckpt when validation picked one, else last.ckpt: the SVMs and
        // regressors are trained on that network's features and stored beside it, so the file is the whole detector.
        string? modelFile = result.BestCheckpoint ?? result.LastCheckpoint;
        if (result.Succeeded && result.BestCheckpoint is { } bestFile) Core.Checkpoint.LoadModule(bestFile, network);
        network.eval();
        var linear = new RcnnLinearModels(k, network.FeatureSize);
        var detector = new RcnnDetector(network, linear, classNames, o);
        if (!result.Succeeded) return (detector, new RcnnStages(result, [], 0, 0, 0, fineTune, 0));

        // Stages 2 and 3 on features of the ground-truth boxes and of every proposal of every training image (or a sample when asked).
        sw.Restart();
        var rng = new Random(unchecked((int)training.Seed * 31 + 5));
        var chosen = o.SvmImages > 0 ? train.OrderBy(_ => rng.Next()).Take(o.SvmImages).ToList() : train.ToList();
        var feats = new List<float[]>();   // one flat [n, D] block per image
        var gtClass = new List<int>();          // class of a ground-truth row, -1 for proposals
        var iouPerClass = new List<float[]>();  // best IoU with each class's boxes
        var regTarget = new List<(int Class, float[] Target)?>();
        log?.WriteLine($"[rcnn] features of {chosen.Count} images for the SVMs and box regressors");
        foreach (var im in chosen)
        {
            using var scope = NewDisposeScope();
            var props = im.Proposals!;
            var pick = o.SvmProposalsPerImage > 0 && props.shape[0] > o.SvmProposalsPerImage
                ? props.index_select(0, tensor(Enumerable.Range(0, (int)props.shape[0]).OrderBy(_ => rng.Next()).Take(o.SvmProposalsPerImage).Select(i => (long)i).ToArray()))
                : props;
            int g = (int)im.Boxes.shape[0];
            var boxes = cat(new[] { im.Boxes, pick }, 0);
            var f = RcnnDetector.ExtractFeatures(network, im.Image, boxes, o).contiguous();
            int n = (int)boxes.shape[0], d = (int)f.shape[1];
            var fd = f.data<float>().ToArray();
            feats.Add(fd);
            var labels = im.Labels.data<long>().ToArray();
            float[] iou = g > 0 ? Boxes.Iou(boxes, im.Boxes).contiguous().data<float>().ToArray() : [];
            var targets = g > 0 ? RcnnDetector.Coder.Encode(boxes, im.Boxes.index_select(0, Boxes.Iou(boxes, im.Boxes).argmax(1))).contiguous().data<float>().ToArray() : [];
            for (int r = 0; r < n; r++)
            {
                gtClass.Add(r < g ? (int)labels[r] : -1);
                var perClass = new float[k];
                int best = -1; float bestIou = 0;
                for (int j = 0; j < g; j++)
                {
                    float v = iou[r * g + j];
                    int c = (int)labels[j];
                    perClass[c] = Math.Max(perClass[c], v);
                    if (v > bestIou) { bestIou = v; best = j; }
                }
                iouPerClass.Add(perClass);
                regTarget.Add(r >= g && best >= 0 && bestIou >= o.RegressionIou ? ((int)labels[best], targets.AsSpan(r * 4, 4).ToArray()) : null);
            }
        }
        int dim = network.FeatureSize, rows = gtClass.Count;
        double normSum = 0;
        foreach (var block in feats)
            for (int r = 0; r < block.Length / dim; r++)
            {
                double s = 0;
                for (int j = 0; j < dim; j++) s += block[r * dim + j] * (double)block[r * dim + j];
                normSum += Math.Sqrt(s);
            }
        double meanNorm = rows > 0 ? normSum / rows : 0;
        float scale = meanNorm > 0 ? (float)(20 / meanNorm) : 1f;
        if ((long)rows * dim > Array.MaxLength)
            throw new InvalidOperationException($"R-CNN: {rows} regions x {dim} features do not fit one array; restrict mining (--set svm_images=N or svm_proposals_per_image=N)");
        var x = new float[rows * dim];
        int at = 0;
        for (int b = 0; b < feats.Count; b++)
        {
            var block = feats[b];
            for (int i = 0; i < block.Length; i++) x[at + i] = block[i] * scale;
            at += block.Length;
            feats[b] = [];   // let it go: the flat copy is all that is needed now
        }
        log?.WriteLine($"[rcnn] mining over {rows - gtClass.Count(c => c >= 0)} proposals of {chosen.Count} images ({(long)rows * dim * 4 / (1 << 20)} MB of features)");

        var objectives = new IReadOnlyList<double>[k];
        var svmW = new float[k * dim]; var svmB = new float[k];
        int positives = 0;
        var negativePool = Enumerable.Range(0, rows).Where(r => gtClass[r] < 0).ToList();
        Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, c =>
        {
            var pos = Enumerable.Range(0, rows).Where(r => gtClass[r] == c).ToList();
            var neg = negativePool.Where(r => iouPerClass[r][c] < o.NegativeIou).ToList();
            var history = new List<double>();
            var svm = LinearSvm.TrainWithHardNegatives(x, dim, pos, neg, o.Svm, new Random(unchecked((int)training.Seed + 101 * c)), history);
            Array.Copy(svm.Weights, 0, svmW, c * dim, dim);
            svmB[c] = svm.Bias;
            objectives[c] = history;
            Interlocked.Add(ref positives, pos.Count);
        });
        var reg = new List<Tensor>();
        int regExamples = 0;
        for (int c = 0; c < k; c++)
        {
            using var scope = NewDisposeScope();
            var idx = Enumerable.Range(0, rows).Where(r => regTarget[r] is { } t && t.Class == c).ToList();
            regExamples += idx.Count;
            var xf = tensor(idx.SelectMany(r => x.AsSpan(r * dim, dim).ToArray()).ToArray(), new long[] { idx.Count, dim });
            var tf = tensor(idx.SelectMany(r => regTarget[r]!.Value.Target).ToArray(), new long[] { idx.Count, 4 });
            reg.Add(BoxRegressor.Fit(xf, tf, o.RegressionLambda).MoveToOuterDisposeScope());
        }
        using (no_grad())
        {
            linear.SvmWeight.copy_(tensor(svmW, new long[] { k, dim }));
            linear.SvmBias.copy_(tensor(svmB));
            linear.Regression.copy_(stack(reg));
            linear.FeatureScale.fill_(scale);
        }
        foreach (var t in reg) t.Dispose();
        linear.to(device);
        if (modelFile is not null) Core.Checkpoint.AddModules(modelFile, new Dictionary<string, nn.Module> { [LinearModule] = linear });
        var stages = new RcnnStages(result, objectives, positives, negativePool.Count, regExamples, fineTune, sw.Elapsed.TotalSeconds);
        log?.WriteLine($"[rcnn] SVMs on {positives} positives and {negativePool.Count} pooled negatives, box regression on {regExamples} proposals, {stages.LinearSeconds:F0} s");
        return (detector, stages);
    }
}
