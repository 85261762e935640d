using System.Diagnostics;
using System.Runtime.InteropServices;
using Aperture.Data;
using Aperture.Generative;
using Aperture.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Bench;

/// <summary>
/// Density models against their peers in one run, 2 threads: KDE log-likelihood of the test images against the training
/// images in 784-D (Aperture's exact blocked log-sum-exp in float32 and float64, an exact NumPy/SciPy log-sum-exp, and
/// scikit-learn's tree-based KernelDensity on a subset of queries, extrapolated); PPCA fit and score (scikit-learn's PCA);
/// VAE training images/s (the same model in Debian's PyTorch). The peers read the very examples Aperture used.
/// <code>Aperture.Bench density [--train N] [--test M] [--sklearn-queries K] [--steps S] [--no-peers]</code>
/// Defaults: 60,000 train, 10,000 test, 200 scikit-learn queries, 300 VAE steps.
/// </summary>
internal static class DensityBench
{
    private const double Bandwidth = 0.1;
    private const int Components = 60, Batch = 128, Hidden = 400, Latent = 20;

    public static object Run(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
        int nTrain = Arg("--train", 60_000), nTest = Arg("--test", 10_000), skQueries = Arg("--sklearn-queries", 200), steps = Arg("--steps", 300);
        bool peers = !args.Contains("--no-peers");
        torch.set_num_threads(2);
        using var trainImages = FashionMnist.Load(DatasetSplit.Train);
        using var testImages = FashionMnist.Load(DatasetSplit.Test);
        using var train = DensityData.Prepare(trainImages.Images.narrow(0, 0, Math.Min(nTrain, trainImages.Count)), DensityDataKind.Dequantised, 1);
        using var test = DensityData.Prepare(testImages.Images.narrow(0, 0, Math.Min(nTest, testImages.Count)), DensityDataKind.Dequantised, 2);
        string dir = Directory.CreateTempSubdirectory("aperture-density-bench").FullName;
        try
        {
            string trainPath = Path.Combine(dir, "train.f32"), testPath = Path.Combine(dir, "test.f32");
            File.WriteAllBytes(trainPath, MemoryMarshal.AsBytes(train.data<float>().ToArray().AsSpan()).ToArray());
            File.WriteAllBytes(testPath, MemoryMarshal.AsBytes(test.data<float>().ToArray().AsSpan()).ToArray());

            // Matmul reference of this run (the machine's practical ceiling), as DESIGN.md asks.
            double gflops = MatmulGflops();

            var (kde32, kde32Mean) = TimeKde(train, test, ScalarType.Float32);
            var (kde64, kde64Mean) = TimeKde(train, test, ScalarType.Float64);
            var clock = Stopwatch.StartNew();
            using var ppca = new ProbabilisticPca(784, Components).Fit(train);
            double ppcaFit = clock.Elapsed.TotalSeconds;
            clock.Restart();
            double ppcaMean = ppca.LogLikelihood(test).mean().ToDouble();
            double ppcaScore = clock.Elapsed.TotalSeconds;
            double vaeRate = VaeImagesPerSecond(train, steps);

            object? sk = peers ? Peers.RunPython("sklearn_density.py", trainPath, testPath, "784", Bandwidth.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Components.ToString(), skQueries.ToString()) : "skipped: --no-peers";
            object? torchPeer = peers ? Peers.RunPython("vae_pytorch.py", trainPath, Batch.ToString(), Hidden.ToString(), Latent.ToString(), steps.ToString()) : "skipped: --no-peers";
            return new
            {
                benchmark = "density",
                data = trainImages.Source,
                train = train.shape[0],
                test = test.shape[0],
                threads = 2,
                matmul_gflops_2048 = gflops,
                kde = new { bandwidth = Bandwidth, float32_seconds = kde32, float32_mean_loglik = kde32Mean, float64_seconds = kde64, float64_mean_loglik = kde64Mean },
                ppca = new { components = Components, fit_seconds = ppcaFit, score_seconds = ppcaScore, mean_loglik = ppcaMean },
                vae = new { batch = Batch, hidden = Hidden, latent = Latent, steps, train_images_per_s = vaeRate },
                sklearn = sk,
                pytorch = torchPeer,
                note = "compare kde.*_seconds with sklearn.numpy_exact_kde_seconds and sklearn_kde_seconds_all_queries_extrapolated, ppca.fit_seconds with sklearn_pca_fit_seconds, vae.train_images_per_s with pytorch.train_images_per_s; run alone on the machine",
            };
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double Seconds, double Mean) TimeKde(Tensor train, Tensor test, ScalarType dtype)
    {
        using var kde = new GaussianKde(train, Bandwidth, DensityDataKind.Dequantised, dtype);
        using (var warm = test.narrow(0, 0, Math.Min(64, test.shape[0]))) kde.LogLikelihood(warm).Dispose();
        var clock = Stopwatch.StartNew();
        using var ll = kde.LogLikelihood(test);
        return (clock.Elapsed.TotalSeconds, ll.mean().ToDouble());
    }

    private static double VaeImagesPerSecond(Tensor train, int steps)
    {
        var vae = new VariationalAutoencoder(784, new VaeOptions { Latent = Latent, Hidden = Hidden });
        var task = new DensityTask(vae, new TrainingOptions { Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, Momentum = 0 });
        vae.train();
        double Steps(int n)
        {
            var clock = Stopwatch.StartNew();
            using var generator = new Generator(7);
            for (int s = 0; s < n; s++)
            {
                using var scope = NewDisposeScope();
                var index = randint(train.shape[0], [Batch], generator: generator);
                task.TrainStep(train.index_select(0, index));
            }
            return clock.Elapsed.TotalSeconds;
        }
        Steps(20);
        return steps * Batch / Steps(steps);
    }

    private static double MatmulGflops()
    {
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        a.mm(b).Dispose();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 5; i++) a.mm(b).Dispose();
        return 5 * 2.0 * 2048 * 2048 * 2048 / clock.Elapsed.TotalSeconds / 1e9;
    }
}
