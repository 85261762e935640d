using System.Diagnostics;
using System.Runtime.InteropServices;
using Aperture.Data;
using Aperture.Generative.AutoEncoders;
using Aperture.Generative.Gan;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Training images/s of the DCGAN (both players' steps per image, moving average on) and of the convolutional
/// auto-encoder (plain and denoising), with their default options, against the same models and steps in PyTorch
/// (<c>bench/peers/generative_pytorch.py</c>), side by side in one run, 2 threads each. Batches are drawn at random from
/// the Fashion-MNIST training images in [-1, 1], the same file for both sides.
///   dotnet run -c Release --project bench/Aperture.Bench -- generative [--steps N] [--no-peers]
/// </summary>
internal static class GenerativeBench
{
    public static object Run(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        int steps = Arg("--steps", 200);
        bool peers = !args.Contains("--no-peers");
        torch.set_num_threads(2);
        using var images = FashionMnist.Load(DatasetSplit.Train);
        using var x = images.Images.to(ScalarType.Float32).div(127.5).sub(1);
        string dir = Directory.CreateTempSubdirectory("aperture-generative-bench").FullName;
        try
        {
            string path = Path.Combine(dir, "train.f32");
            File.WriteAllBytes(path, MemoryMarshal.AsBytes(x.data<float>().ToArray().AsSpan()).ToArray());
            var gan = new GanOptions();
            var ae = new AutoEncoderOptions();
            double ganRate = GanRate(x, gan, steps);
            double aeRate = AutoEncoderRate(x, ae, steps);
            double daeRate = AutoEncoderRate(x, ae with { Noise = NoiseKind.Masking }, steps);
            object? peer = peers
                ? Peers.RunPython("generative_pytorch.py", path, steps.ToString(), gan.Width.ToString(), gan.LatentSize.ToString(), gan.BatchSize.ToString(),
                    ae.Width.ToString(), ae.CodeSize.ToString(), ae.BatchSize.ToString())
                : "skipped: --no-peers";
            return new
            {
                benchmark = "generative",
                data = images.Source,
                threads = 2,
                steps,
                dcgan = new { width = gan.Width, latent = gan.LatentSize, batch = gan.BatchSize, ema_decay = gan.EmaDecay, train_images_per_s = ganRate },
                autoencoder = new { width = ae.Width, code = ae.CodeSize, batch = ae.BatchSize, train_images_per_s = aeRate },
                denoising_autoencoder = new { noise = "masking", level = ae.NoiseLevel, train_images_per_s = daeRate },
                pytorch = peer,
                note = "compare dcgan / autoencoder / denoising_autoencoder train_images_per_s with the pytorch object's; run alone on the machine",
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Time(int steps, int batch, long count, Action<Tensor> step)
    {
        double Steps(int n)
        {
            var clock = Stopwatch.StartNew();
            using var generator = new Generator(7);
            for (int s = 0; s < n; s++)
            {
                using var scope = NewDisposeScope();
                step(randint(count, [batch], generator: generator));
            }
            return clock.Elapsed.TotalSeconds;
        }
        Steps(10); // warm-up
        return steps * (double)batch / Steps(steps);
    }

    private static double GanRate(Tensor x, GanOptions options, int steps)
    {
        var training = new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = options.LearningRate, Beta1 = options.Beta1, Momentum = 0 };
        var g = new DcganGenerator(options, 10);
        var task = new GanTask(g, new DcganDiscriminator(options, 10), new GeneratorAverage(options, 10, g), options, training);
        foreach (var m in task.Modules.Values) m.train();
        using var labels = zeros(x.shape[0], ScalarType.Int64);
        return Time(steps, options.BatchSize, x.shape[0], index => task.TrainStep(new Batch(x.index_select(0, index), labels.index_select(0, index))));
    }

    private static double AutoEncoderRate(Tensor x, AutoEncoderOptions options, int steps)
    {
        var training = new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = options.LearningRate, Momentum = 0 };
        var model = new ConvAutoEncoder(options);
        var task = new AutoEncoderTask(model, options, training);
        model.train();
        using var labels = zeros(x.shape[0], ScalarType.Int64);
        return Time(steps, options.BatchSize, x.shape[0], index => task.TrainStep(new Batch(x.index_select(0, index), labels.index_select(0, index))));
    }
}
