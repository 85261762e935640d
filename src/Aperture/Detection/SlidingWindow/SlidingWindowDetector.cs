using Aperture.Nn;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Ops;
using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Detection.SlidingWindow;

/// <summary>Sliding-window detector settings.</summary>
public sealed record SlidingWindowOptions
{
    /// <summary>Side of the classifier's input window in pixels (a multiple of <see cref="Backbone.Stride"/>).</summary>
    public int WindowSize { get; init; } = 32;

    /// <summary>Window sides searched, in image pixels (the pyramid's scales).</summary>
    public double[] Sizes { get; init; } = [16, 22, 32, 45, 64, 90];

    /// <summary>Window aspect ratios searched (width / height).</summary>
    public double[] AspectRatios { get; init; } = [0.5, 1, 2];

    /// <summary>Width of the classifier's hidden layers.</summary>
    public int HiddenSize { get; init; } = 128;

    /// <summary>Training: jittered ground-truth windows per image (IoU ≥ <see cref="PositiveIou"/>).</summary>
    public int PositivesPerImage { get; init; } = 8;

    /// <summary>Training: background windows per image (IoU &lt; <see cref="NegativeIou"/> with every box).</summary>
    public int NegativesPerImage { get; init; } = 24;

    /// <summary>Training: IoU a jittered positive keeps with its box (0.5).</summary>
    public double PositiveIou { get; init; } = 0.5;

    /// <summary>Training: IoU below which a window is background (0.3).</summary>
    public double NegativeIou { get; init; } = 0.3;

    /// <summary>Training: images per mini-batch.</summary>
    public int ImagesPerBatch { get; init; } = 8;

    /// <summary>Lowest object probability kept.</summary>
    public double ScoreThreshold { get; init; } = 0.05;

    /// <summary>Per-class NMS IoU.</summary>
    public double NmsIou { get; init; } = 0.3;

    /// <summary>Most detections per image.</summary>
    public int MaxDetections { get; init; } = 100;
}

/// <summary>
/// The window classifier: the shared <see cref="Backbone"/>, then a <c>window/4 x window/4</c> convolution (a fully
/// connected layer over one window that slides over a larger image), ReLU, 1x1 convolution, ReLU and a 1x1 convolution
/// to K+1 scores (0 = background). On a window it gives <c>[N, K+1, 1, 1]</c>; on a whole image, a score map.
/// </summary>
public sealed class SlidingWindowNetwork : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Backbone backbone;
    private readonly Sequential classifier;
#pragma warning restore IDE1006

    /// <summary>Creates the network.</summary>
    public SlidingWindowNetwork(int numClasses, int windowSize = 32, int hiddenSize = 128, int[]? widths = null) : base(nameof(SlidingWindowNetwork))
    {
        if (windowSize % Backbone.Stride != 0) throw new ArgumentException($"window size {windowSize} must be a multiple of {Backbone.Stride}");
        NumClasses = numClasses;
        WindowSize = windowSize;
        backbone = new Backbone(widths);
        classifier = Sequential(
            ("fc1", Conv2d(backbone.OutChannels, hiddenSize, windowSize / Backbone.Stride)), ("relu1", ReLU(inplace: true)),
            ("fc2", Conv2d(hiddenSize, hiddenSize, 1)), ("relu2", ReLU(inplace: true)),
            ("score", Conv2d(hiddenSize, numClasses + 1, 1)));
        RegisterComponents();
    }

    /// <summary>The conv body.</summary>
    public Backbone Backbone => backbone;

    /// <summary>K object classes.</summary>
    public int NumClasses { get; }

    /// <summary>Window side in pixels.</summary>
    public int WindowSize { get; }

    /// <summary>Score maps <c>[N, K+1, (H − window)/4 + 1, (W − window)/4 + 1]</c> of normalised images <c>[N, 3, H, W]</c>;
    /// cell (i, j) scores the window with top-left corner (4j, 4i).</summary>
    public override Tensor forward(Tensor x) => classifier.forward(backbone.forward(x));
}

/// <summary>
/// The brute-force baseline: a background + K window classifier applied at every position of an image pyramid, one
/// fully convolutional pass per (window size, aspect ratio): the image is resized so that the window becomes the
/// classifier's input size, every cell of the score map becomes a box of that window's size, then per-class NMS.
/// </summary>
public sealed class SlidingWindowDetector : IObjectDetector
{
    /// <summary>Wraps a trained network (put in eval mode).</summary>
    public SlidingWindowDetector(SlidingWindowNetwork network, IReadOnlyList<string> classNames, SlidingWindowOptions options)
    {
        Network = network; ClassNames = classNames; Options = options;
        network.eval();
    }

    /// <summary>The window classifier.</summary>
    public SlidingWindowNetwork Network { get; }

    /// <summary>Settings.</summary>
    public SlidingWindowOptions Options { get; }

    /// <inheritdoc/>
    public string Method => SlidingWindowMethod.Id;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public bool UsesProposals => false;

    /// <summary>The (width, height) of every window searched, in image pixels.</summary>
    public IEnumerable<(double Width, double Height)> Windows() =>
        Options.Sizes.SelectMany(s => Options.AspectRatios.Select(r => (s * Math.Sqrt(r), s / Math.Sqrt(r))));

    /// <inheritdoc/>
    public ImageDetections Detect(Tensor image, Tensor? proposals = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int h = (int)image.shape[^2], w = (int)image.shape[^1], win = Network.WindowSize, k = Network.NumClasses;
        var device = Network.parameters().First().device;
        var x = Backbone.Normalize(image).unsqueeze(0).to(device);
        var allBoxes = new List<Tensor>(); var allScores = new List<Tensor>();
        foreach (var (ww, wh) in Windows())
        {
            double sx = win / ww, sy = win / wh;
            int rw = (int)Math.Round(w * sx), rh = (int)Math.Round(h * sy);
            if (rw < win || rh < win) continue;
            var resized = nn.functional.interpolate(x, new long[] { rh, rw }, mode: InterpolationMode.Bilinear, align_corners: false);
            var map = nn.functional.softmax(Network.forward(resized), 1)[0].cpu();   // [K+1, gh, gw]
            long gh = map.shape[1], gw = map.shape[2];
            var jj = arange(gw, dtype: ScalarType.Float32).mul(Backbone.Stride / sx).unsqueeze(0).expand(gh, gw);
            var ii = arange(gh, dtype: ScalarType.Float32).mul(Backbone.Stride / sy).unsqueeze(1).expand(gh, gw);
            var boxes = stack(new[] { jj, ii, jj.add(ww), ii.add(wh) }, 2).reshape(-1, 4);
            allBoxes.Add(boxes);
            allScores.Add(map.narrow(0, 1, k).reshape(k, -1).t());
        }
        if (allBoxes.Count == 0) return ImageDetections.Empty().Move();
        return PerClassNms.Apply(cat(allBoxes, 0), cat(allScores, 0), Options.ScoreThreshold, Options.NmsIou, Options.MaxDetections, w, h).Move();
    }

    /// <summary>
    /// Training windows of one epoch as classification batches (crops <c>[B, 3, window, window]</c>, labels 0 = background):
    /// per image, ground-truth boxes jittered until IoU ≥ <see cref="SlidingWindowOptions.PositiveIou"/> (with their
    /// class), and random windows of the searched sizes and ratios with IoU &lt; <see cref="SlidingWindowOptions.NegativeIou"/>
    /// with every box. Epoch 0 gives a fixed set without flips.
    /// </summary>
    public static IEnumerable<Batch> Batches(IReadOnlyList<DetectionImage> images, SlidingWindowOptions o, long seed, int epoch)
    {
        var sampler = new EpochSampler(images.Count, seed, fileOrderAtEpochZero: true);
        var shapes = o.Sizes.SelectMany(s => o.AspectRatios.Select(r => (s * Math.Sqrt(r), s / Math.Sqrt(r)))).ToArray();
        foreach (var batch in sampler.Batches(epoch, o.ImagesPerBatch))
        {
            var rng = batch.Random();
            var crops = new List<Tensor>(); var labels = new List<long>();
            foreach (long i in batch.Examples)
            {
                var im = images[(int)i];
                var gt = Boxes.ToArray(im.Boxes); var gl = im.Labels.data<long>().ToArray();
                var windows = new List<float>();
                int g = gl.Length;
                for (int p = 0; g > 0 && p < o.PositivesPerImage; p++)
                {
                    int j = rng.Next(g);
                    for (int attempt = 0; attempt < 20; attempt++)
                    {
                        float bw = gt[4 * j + 2] - gt[4 * j], bh = gt[4 * j + 3] - gt[4 * j + 1];
                        double J() => (rng.NextDouble() * 2 - 1) * 0.15;
                        float cx = gt[4 * j] + bw / 2 + (float)(J() * bw), cy = gt[4 * j + 1] + bh / 2 + (float)(J() * bh);
                        float nw = bw * (float)Math.Exp(J()), nh = bh * (float)Math.Exp(J());
                        var cand = new[] { cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2 };
                        if (BoxList.At(cand, 0).Iou(BoxList.At(gt, j)) >= o.PositiveIou) { windows.AddRange(cand); labels.Add(gl[j] + 1); break; }
                    }
                }
                for (int n = 0, attempt = 0; n < o.NegativesPerImage && attempt < 50 * o.NegativesPerImage; attempt++)
                {
                    var (sw, sh) = shapes[rng.Next(shapes.Length)];
                    float x0 = (float)(rng.NextDouble() * Math.Max(1, im.Width - sw)), y0 = (float)(rng.NextDouble() * Math.Max(1, im.Height - sh));
                    var cand = new[] { x0, y0, x0 + (float)sw, y0 + (float)sh };
                    bool bg = true;
                    for (int j = 0; j < g && bg; j++) bg = BoxList.At(cand, 0).Iou(BoxList.At(gt, j)) < o.NegativeIou;
                    if (!bg) continue;
                    windows.AddRange(cand); labels.Add(0); n++;
                }
                using var wt = tensor(windows.ToArray(), new long[] { windows.Count / 4, 4 });
                var c = RegionWarp.Warp(Backbone.Normalize(im.Image), wt, o.WindowSize, 0);
                if (epoch > 0 && rng.NextDouble() < 0.5) c = c.flip(3);
                crops.Add(c);
            }
            yield return new Batch(cat(crops, 0), tensor(labels.ToArray(), ScalarType.Int64));
        }
    }

    /// <summary>Trains the window classifier with the <see cref="Trainer{TBatch}"/> and returns the detector.</summary>
    public static (SlidingWindowDetector Detector, TrainingResult Result) Train(IReadOnlyList<DetectionImage> train, IReadOnlyList<DetectionImage>? validation,
        IReadOnlyList<string> classNames, SlidingWindowOptions o, TrainingOptions training, Device device, BackboneWeights? body = null)
    {
        if (train.Count == 0) throw new ArgumentException("no training images");
        Core.Torch.Seed(training.Seed);
        var network = new SlidingWindowNetwork(classNames.Count, o.WindowSize, o.HiddenSize);
        network.to(device);
        string? origin = body?.CopyTo(network.Backbone);
        var tOptions = training with { Card = Detectors.Card(SlidingWindowMethod.Id, classNames, network.Backbone.Widths, o, null, origin) };
        var task = new ClassificationTask(new WindowLogits(network), OptimizerFactory.Create("optimizer", network.parameters(), tOptions));
        var trainer = new Trainer<Batch>(task, tOptions);
        var result = trainer.Fit(epoch => Batches(train, o, training.Seed, epoch),
            validation is null || validation.Count == 0 ? null : () => Batches(validation, o, training.Seed, 0),
            new EpochSampler(train.Count, training.Seed).BatchCount(o.ImagesPerBatch));
        return (new SlidingWindowDetector(network, classNames, o), result);
    }

    /// <summary>Window logits <c>[N, K+1, 1, 1]</c> flattened to <c>[N, K+1]</c> for the classification task; what the trainer's checkpoints hold.</summary>
    internal sealed class WindowLogits : Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006
        private readonly SlidingWindowNetwork inner;
#pragma warning restore IDE1006

        public WindowLogits(SlidingWindowNetwork network) : base("model")
        {
            inner = network;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => inner.forward(x).flatten(1);
    }
}
