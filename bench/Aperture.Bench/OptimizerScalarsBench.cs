using System.Diagnostics;
using Aperture.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// TorchSharp's optimizers against <see cref="ScalarSafeOptimizers"/> while another thread collects garbage (as a data
/// loader's prefetch thread or a parallel test does, only more often): each steps a net of many small layers for the
/// same time and counts the steps that failed. TorchSharp's steps fail when the finalizer thread frees an implicit
/// scalar libtorch is still reading ("Expected false to be true" from <c>Scalar::toFloat</c>); ours should never fail.
/// Usage: <c>optimizer-scalars [seconds per optimizer=10]</c>.
/// </summary>
internal static class OptimizerScalarsBench
{
    public static object Run(string[] args)
    {
        double seconds = args.Length > 0 && double.TryParse(args[0], out double s) ? s : 10;
        torch.set_num_threads(1);
        var rows = new List<object>();
        foreach (var kind in new[] { "sgd", "adam", "adamw" })
            foreach (bool ours in new[] { false, true })
            {
                manual_seed(1);
                var net = nn.Sequential(Enumerable.Range(0, 20).Select(i => ($"layer{i}", (nn.Module<Tensor, Tensor>)nn.Linear(4, 4))).ToList());
                var p = net.parameters();
                OptimizerHelper optimizer = (kind, ours) switch
                {
                    ("sgd", false) => optim.SGD(p, 0.01, momentum: 0.9, weight_decay: 1e-4),
                    ("sgd", true) => ScalarSafeOptimizers.Sgd(p, 0.01, momentum: 0.9, weightDecay: 1e-4),
                    ("adam", false) => optim.Adam(p, 1e-3, weight_decay: 1e-4),
                    ("adam", true) => ScalarSafeOptimizers.Adam(p, 1e-3, weightDecay: 1e-4),
                    (_, false) => optim.AdamW(p, 1e-3, weight_decay: 1e-2),
                    _ => ScalarSafeOptimizers.AdamW(p, 1e-3, weightDecay: 1e-2),
                };
                net.forward(randn(8, 4)).square().mean().backward();
                var (steps, failures, collections, first) = Stress(optimizer, seconds);
                rows.Add(new { optimizer = kind, implementation = ours ? "Aperture (scalars kept alive)" : "TorchSharp 0.107", steps, failed_steps = failures, collections, first_error = first });
                optimizer.Dispose();
                net.Dispose();
            }
        return new { bench = "optimizer-scalars", seconds_each = seconds, threads = 1, machine = Environment.ProcessorCount + " cores", rows };
    }

    private static (long Steps, long Failures, int Collections, string? FirstError) Stress(OptimizerHelper optimizer, double seconds)
    {
        bool stop = false;
        int start = GC.CollectionCount(0);
        var collector = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
        collector.Start();
        long steps = 0, failures = 0;
        string? first = null;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            try { optimizer.step(); }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException)
            {
                failures++;
                first ??= e.Message.Split('\n')[0].Trim();
            }
            steps++;
        }
        Volatile.Write(ref stop, true);
        collector.Join();
        return (steps, failures, GC.CollectionCount(0) - start, first);
    }
}
