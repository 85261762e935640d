using System.Diagnostics;
using System.Text.Json;
using Aperture.Classification;
using Aperture.Core;
using Aperture.Data;
using Aperture.Data.Loading;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// LeNet-5 on Fashion-MNIST, batch 64, 2 threads: training images/s over one epoch through Aperture's Trainer
/// (DataLoader with prefetch, ClassificationTask, end-of-epoch checkpoint) and through a bare TorchSharp loop
/// in the same process, inference images/s at batch 256, and the same model in PyTorch when Debian's python3-torch is there.
/// </summary>
internal static class TrainThroughput
{
    private const int BatchSize = 64;
    private const double LearningRate = 0.02;

    public static object Run(string[] args)
    {
        int threads = 2;
        int repeats = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 5;
        torch.set_num_threads(threads);
        using var train = FashionMnist.Load(DatasetSplit.Train);

        // Warm up libtorch's kernels once so neither contender pays for first calls.
        BareEpoch(train, limit: 200 * BatchSize);

        var bare = new List<double>();
        var trainer = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            bare.Add(BareEpoch(train, limit: int.MaxValue));
            trainer.Add(TrainerEpoch(train));
        }
        double inference = Inference(train);
        var peer = Peers.RunPython("lenet_pytorch.py", FashionMnistFolder());
        // The machine is shared and noisy: epochs are interleaved and compared by their medians.
        double medianBare = Median(bare), medianTrainer = Median(trainer);
        return new
        {
            benchmark = "train-throughput",
            model = "lenet5",
            data = train.Source,
            batch_size = BatchSize,
            threads,
            repeats,
            bare_loop_train_images_per_s = medianBare,
            trainer_train_images_per_s = medianTrainer,
            trainer_overhead_percent = 100 * (1 - medianTrainer / medianBare),
            best_bare = bare.Max(),
            best_trainer = trainer.Max(),
            all_bare = bare,
            all_trainer = trainer,
            inference_images_per_s_batch256 = inference,
            pytorch = peer,
            trainer_vs_pytorch_train = peer is JsonElement p && p.TryGetProperty("train_images_per_s", out var pt) ? medianTrainer / pt.GetDouble() : (double?)null,
            statistic = "median of interleaved epochs",
        };
    }

    private static double Median(List<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string FashionMnistFolder()
    {
        const string debian = "/usr/share/datasets/fashion-mnist";
        return Environment.GetEnvironmentVariable("APERTURE_DATA") ?? debian;
    }

    /// <summary>The plainest TorchSharp loop: pre-normalised images in memory, index_select per batch, forward, loss, backward, step.</summary>
    private static double BareEpoch(LabeledImages data, int limit)
    {
        torch.manual_seed(1);
        var model = new LeNet5();
        var opt = optim.SGD(model.parameters(), LearningRate, momentum: 0.9); // the peer: TorchSharp as it comes
        using var x = data.Images.to_type(ScalarType.Float32).div_(255).sub_(FashionMnist.Mean).div_(FashionMnist.Std);
        using var perm = randperm(data.Count);
        long n = Math.Min(limit, data.Count);
        model.train();
        var sw = Stopwatch.StartNew();
        long seen = 0;
        for (long i = 0; i + BatchSize <= n; i += BatchSize)
        {
            using var scope = NewDisposeScope();
            var idx = perm.narrow(0, i, BatchSize);
            var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, idx)), data.Labels.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            seen += BatchSize;
        }
        return seen / sw.Elapsed.TotalSeconds;
    }

    private static double TrainerEpoch(LabeledImages data)
    {
        string dir = Directory.CreateTempSubdirectory("aperture-bench-").FullName;
        try
        {
            var model = new LeNet5();
            var options = new TrainingOptions
            {
                Epochs = 1, LearningRate = LearningRate, Momentum = 0.9, Seed = 1, OutputDirectory = dir,
                Progress = ProgressMode.Quiet, TensorBoard = true,
            };
            var loader = new DataLoader(data, BatchSize, shuffle: true, seed: 1, dropLast: true, transform: Normalize.FashionMnist);
            var result = new Trainer<Batch>(new ClassificationTask(model, options), options).Fit(loader.Epoch, stepsPerEpoch: loader.BatchesPerEpoch);
            return result.History[0].ImagesPerSecond;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Inference(LabeledImages data)
    {
        var model = new LeNet5();
        model.eval();
        var loader = new DataLoader(data, 256, shuffle: false, transform: Normalize.FashionMnist);
        using var noGrad = no_grad();
        var sw = Stopwatch.StartNew();
        long seen = 0;
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                model.forward(batch.Images).argmax(1);
                seen += batch.Size;
            }
        }
        return seen / sw.Elapsed.TotalSeconds;
    }
}
