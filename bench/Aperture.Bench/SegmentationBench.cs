using System.Diagnostics;
using System.Text.Json;
using Aperture.Core;
using Aperture.Segmentation;
using Aperture.Segmentation.Fcn;
using Aperture.Segmentation.UNet;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Segmentation figures for every registered segmenter (default recipe's options, K = 11): training images per second
/// (Adam steps on batches of random 128x128 images and masks), inference ms per 128x128 image (padding included), peak
/// resident memory while training it; the effective GFLOP/s of U-Net and FCN-8s training against a 2048 fp32 matmul
/// measured beside each model's training steps; and the same U-Net trained by Debian's PyTorch (<c>bench/peers/unet_pytorch.py</c>) — at the
/// default recipe's size and at the paper's (depth 4, base width 64).
/// FLOPs are counted, not measured: 2 per convolution multiply-add forward, times 3 for forward + backward (the usual
/// convention); batch norm, ReLU, pooling and the fixed upsampling are not counted, so the figure is a lower bound.
/// </summary>
public static class SegmentationBench
{
    /// <summary>
    /// Runs the benchmark. Options: <c>--steps N</c> training steps per model (default 20), <c>--batch B</c> (8),
    /// <c>--size S</c> (128), <c>--models a,b</c> (default: all), <c>--paper-steps N</c> steps of the paper-size U-Net
    /// (default 5; 0 skips it), <c>--no-peers</c>. Returns an object to print as JSON.
    /// </summary>
    public static object Run(string[] args)
    {
        int steps = IntOption(args, "--steps", 20), batch = IntOption(args, "--batch", 8), size = IntOption(args, "--size", 128);
        int paperSteps = IntOption(args, "--paper-steps", 5);
        string? only = StringOption(args, "--models");
        bool peers = !args.Contains("--no-peers");
        set_num_threads(Math.Min(2, Environment.ProcessorCount));
        var figures = new List<Figures>();
        object? peer = null, paperPeer = null;
        Figures? paper = null;
        foreach (var method in Segmenters.All.Where(m => only is null || only.Split(',').Contains(m.Name)))
        {
            var options = method.Recipe(RunBudget.Default).Options;
            var f = Measure(method, options, steps, batch, size);
            figures.Add(f);
            if (options is UNetOptions u) peer = Peer(u, f.TrainImagesPerS, steps, batch, size, peers);
        }
        if (paperSteps > 0 && (only is null || only.Split(',').Contains("unet")))
        {
            // The paper's U-Net (depth 4, 64 … 1024 channels) at the same batch and size: the CPU default is a quarter of
            // its width, whose 16-channel full-resolution layers are bound by memory traffic rather than arithmetic.
            var u = new UNetOptions { Depth = 4, BaseWidth = 64 };
            paper = Measure(Segmenters.All.Single(m => m.Name == "unet"), u, paperSteps, batch, size);
            paperPeer = Peer(u, paper.TrainImagesPerS, paperSteps, batch, size, peers);
        }
        return new
        {
            bench = "segmentation", threads = get_num_threads(), batch, size, steps,
            matmul_2048_gflops = figures.Select(f => f.Matmul).Append(paper?.Matmul ?? 0).Max(),
            models = figures.Select(f => f.Json()), unet_peer = peer,
            unet_paper_size = paper is null ? null : new { model = paper.Json(), unet_peer = paperPeer },
            load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
        };
    }

    /// <summary>One model's measured figures, with the matmul rate measured beside its training steps.</summary>
    private sealed record Figures(string Model, object Options, double TrainImagesPerS, double InferenceMs, double? PeakMb, double? Flops, int ReceptiveField, double Matmul)
    {
        public object Json() => new
        {
            model = Model, options = Options, train_images_per_s = TrainImagesPerS, inference_ms_per_image = InferenceMs, peak_rss_mb = PeakMb,
            train_gflop_per_image = Flops / 1e9, train_gflops = Flops * TrainImagesPerS / 1e9, matmul_2048_gflops = Matmul,
            fraction_of_matmul = Flops * TrainImagesPerS / 1e9 / Matmul,
            receptive_field = ReceptiveField,
        };
    }

    /// <summary>One model's training images/s (Adam steps on random images and masks), inference ms per image, peak
    /// RSS, for U-Net and FCN-8s the FLOPs of one training image, and the 2048² matmul's rate just before and just after
    /// the timed steps, the faster of the two: this machine's clock moves between runs and within one (192–282 GFLOP/s
    /// seen), so each model is compared with the matmul of its own moment, at its least favourable reading.</summary>
    private static Figures Measure(SegmenterMethod method, object options, int steps, int batch, int size)
    {
        const int classes = 11;
        ResetPeak();
        Torch.Seed(1);
        using var net = method.Build(classes, options);
        int m = ((ISegmentationNetwork)net).InputMultiple;
        int side = (size + m - 1) / m * m;
        using var opt = optim.Adam(net.parameters(), 2e-3);
        using var x = randn(batch, 3, side, side);
        using var y = randint(0, classes, new long[] { batch, side, side });
        net.train();
        void Step()
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            PixelCrossEntropy.Compute(net.forward(x), y).backward();
            opt.step();
        }
        Step(); Step();
        double before = MatmulGflops();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        double trainS = clock.Elapsed.TotalSeconds;
        double matmul = Math.Max(before, MatmulGflops());
        net.eval();
        using var image = randint(0, 256, new long[] { 3, size, size }).to_type(ScalarType.Byte);
        var inference = new SegmentationInference();
        float[] mean = [0.5f, 0.5f, 0.5f], std = [0.25f, 0.25f, 0.25f];
        inference.Labels(net, image, mean, std).Dispose();
        int n = Math.Max(5, steps);
        clock.Restart();
        for (int i = 0; i < n; i++) inference.Labels(net, image, mean, std).Dispose();
        double inferMs = clock.Elapsed.TotalMilliseconds / n;
        double? flops = options switch
        {
            UNetOptions u => UNetFlops(u, side, classes),
            FcnOptions f when f.OutputStride == 8 => FcnFlops(f, side, classes),
            _ => null,
        };
        return new Figures(method.Name, options, steps * batch / trainS, inferMs, PeakMb(), flops, ((ISegmentationNetwork)net).OutputField().Size, matmul);
    }

    /// <summary>The same U-Net trained by Debian's PyTorch (<c>bench/peers/unet_pytorch.py</c>), and our speed-up over it.</summary>
    private static object? Peer(UNetOptions u, double ours, int steps, int batch, int size, bool run)
    {
        if (!run) return null;
        var p = Peers.Run("unet_pytorch.py", [$"{steps}", $"{batch}", $"{size}", $"{u.Depth}", $"{u.BaseWidth}"]);
        return p is { } e
            ? new { pytorch = e, speedup_train = ours / e.GetProperty("train_images_per_s").GetDouble() }
            : "skipped: /usr/bin/python3 with torch not available";
    }

    /// <summary>Forward + backward FLOPs of one U-Net training image: 3 x 2 x the convolutions' multiply-adds.</summary>
    public static double UNetFlops(UNetOptions o, int s, int k, int cin = 3)
    {
        double mac = 0, w = o.BaseWidth;
        double Px(int level) => Math.Pow(s / Math.Pow(2, level), 2);
        double c = cin;
        for (int l = 0; l < o.Depth; l++)
        {
            double cl = w * (1 << l);
            mac += (c * cl + cl * cl) * 9 * Px(l);
            c = cl;
        }
        double cb = w * (1 << o.Depth);
        mac += (c * cb + cb * cb) * 9 * Px(o.Depth);
        for (int l = o.Depth - 1; l >= 0; l--)
        {
            double cl = w * (1 << l), cu = w * (1 << (l + 1));
            mac += cu * cl * Px(l);                          // 2x2 stride-2 transposed conv: one multiply-add per output per in/out channel pair
            mac += (2 * cl * cl + cl * cl) * 9 * Px(l);
        }
        mac += w * k * Px(0);
        return 3 * 2 * mac;
    }

    /// <summary>Forward + backward FLOPs of one FCN training image (conv stages, fc6, fc7, score layers, learned 2x layers).</summary>
    public static double FcnFlops(FcnOptions o, int s, int k, int cin = 3)
    {
        double mac = 0, c = cin;
        double Px(int stride) => Math.Pow((double)s / stride, 2);
        for (int i = 0; i < 5; i++)
        {
            double w = o.Widths[i];
            mac += (c * w + (o.ConvsPerStage[i] - 1) * w * w) * 9 * Px(1 << i);
            c = w;
        }
        mac += c * o.FcWidth * o.Fc6Kernel * o.Fc6Kernel * Px(32) + (double)o.FcWidth * o.FcWidth * Px(32) + (double)o.FcWidth * k * Px(32);
        if (o.OutputStride <= 16) mac += o.Widths[3] * k * Px(16) + (double)k * k * 16 * Px(32);
        if (o.OutputStride <= 8) mac += o.Widths[2] * k * Px(8) + (double)k * k * 16 * Px(16);
        return 3 * 2 * mac;
    }

    private static double MatmulGflops()
    {
        const int n = 2048;
        using var a = randn(n, n);
        using var b = randn(n, n);
        for (int i = 0; i < 2; i++) matmul(a, b).Dispose();
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            matmul(a, b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>Resets the kernel's peak-RSS counter for this process (Linux: writing 5 to clear_refs).</summary>
    private static void ResetPeak()
    {
        GC.Collect();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static double? PeakMb()
    {
        if (!File.Exists("/proc/self/status")) return null;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line is null ? null : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    private static int IntOption(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : dflt;
    }

    private static string? StringOption(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
