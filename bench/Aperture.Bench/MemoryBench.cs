using System.Diagnostics;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Memory over a long run: LeNet-5 on Fashion-MNIST through the Trainer (DataLoader with prefetch, checkpoints,
/// metrics log, TensorBoard) for many epochs, the process's resident set sampled at the start of every epoch (after
/// the previous epoch's checkpoint), with the managed heap beside it. The claim checked: after epoch 2 the line is
/// flat — its range stays within 20 MB — so a run of any length holds the memory of its first epochs.
/// Usage: <c>memory [epochs=50] [images per epoch=60000]</c>.
/// </summary>
internal static class MemoryBench
{
    public static object Run(string[] args)
    {
        int epochs = args.Length > 0 && int.TryParse(args[0], out int e) ? e : 50;
        int images = args.Length > 1 && int.TryParse(args[1], out int n) ? n : 60_000;
        torch.set_num_threads(2);
        using var all = FashionMnist.Load(DatasetSplit.Train);
        using var train = images < all.Count ? all.RandomSubset(images, seed: 1) : all;
        string dir = Directory.CreateTempSubdirectory("aperture-memory-").FullName;
        var rss = new List<double>();
        var managed = new List<double>();
        void Sample()
        {
            rss.Add(ResidentMegabytes());
            managed.Add(GC.GetTotalMemory(forceFullCollection: false) / 1048576.0);
        }
        var sw = Stopwatch.StartNew();
        try
        {
            var options = new TrainingOptions
            {
                Epochs = epochs, LearningRate = 0.02, Momentum = 0.9, Seed = 1, OutputDirectory = dir, Progress = ProgressMode.Quiet,
            };
            var loader = new DataLoader(train, 64, shuffle: true, seed: 1, dropLast: true, transform: Normalize.FashionMnist);
            new Trainer<Batch>(new ClassificationTask(new LeNet5(), options), options)
                .Fit(epoch => { Sample(); return loader.Epoch(epoch); }, stepsPerEpoch: loader.BatchesPerEpoch);
            Sample();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        var after2 = rss.Skip(2).ToList();
        double range = after2.Count > 0 ? after2.Max() - after2.Min() : 0;
        double slope = after2.Count > 1 ? (after2[^1] - after2[0]) / (after2.Count - 1) : 0;
        return new
        {
            benchmark = "memory",
            model = "lenet5",
            epochs,
            images_per_epoch = train.Count,
            seconds = sw.Elapsed.TotalSeconds,
            rss_mb_at_epoch_start = rss.Select(v => Math.Round(v, 1)),
            managed_mb_at_epoch_start = managed.Select(v => Math.Round(v, 1)),
            rss_range_after_epoch_2_mb = Math.Round(range, 1),
            rss_mb_per_epoch_after_epoch_2 = Math.Round(slope, 2),
            flat_within_20_mb = range <= 20,
        };
    }

    /// <summary>VmRSS of this process from <c>/proc/self/status</c>, in MiB.</summary>
    public static double ResidentMegabytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
