using System.CommandLine;
using System.Globalization;
using Aperture.Core;
using Aperture.Data;
using Aperture.Generative;

namespace Aperture.Cli;

/// <summary><c>aperture sample-quality</c>: option wiring for <see cref="GeneratorComparison"/>.</summary>
internal static class QualityCommands
{
    public static void AddTo(RootCommand root) => root.Add(SampleQuality());

    private static Command SampleQuality()
    {
        var models = new Option<string[]>("--model", "-m") { Description = "Generators: runs of 'train gan' or 'train density' (VAE, PPCA, KDE), repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var classifier = new Option<string>("--classifier") { Description = "A run of 'train classify' on Fashion-MNIST whose penultimate features the Fréchet distance uses", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Samples per generator", DefaultValueFactory = _ => 10_000 };
        var parzen = new Option<int>("--parzen") { Description = "Also the Parzen-window log-likelihood (σ on 1,000 held-out training images) of this many test images (0: skip)", DefaultValueFactory = _ => 0 };
        var cmd = Cli.Command("sample-quality",
            "Compare generators: the Fréchet distance between the Fashion-MNIST test images and N samples of each, on our own classifier's features " +
            "(not comparable with Inception FID), with real training images as the floor; optionally the GAN paper's Parzen-window log-likelihood.",
            "aperture sample-quality --model runs/dcgan --model runs/cgan --model runs/vae --classifier runs/lenet5 --parzen 10000");
        cmd.Add(models); cmd.Add(classifier); cmd.Add(count); cmd.Add(parzen);
        cmd.SetAction(r =>
        {
            var device = CommonOptions.Apply(r);
            int n = r.GetValue(count);
            if (n is < 2 or > 50_000) throw new ArgumentException($"--count must be in 2..50000 (got {n})");
            var generators = (r.GetValue(models) ?? []).Select(m => TrainedGenerator.Open(m, device)).ToList();
            using var train = FashionMnist.Load(DatasetSplit.Train, r.GetValue(CommonOptions.Data));
            using var test = FashionMnist.Load(DatasetSplit.Test, r.GetValue(CommonOptions.Data));
            var table = GeneratorComparison.Run(r.GetValue(classifier)!, generators, train, test, n, r.GetValue(CommonOptions.Seed), r.GetValue(parzen));
            if (r.GetValue(CommonOptions.Json)) { Output.Json(table); return 0; }
            static string F(double v, string f = "F2") => v.ToString(f, CultureInfo.InvariantCulture);
            var rows = new List<IReadOnlyList<string>>();
            rows.Add(["real training images (floor)", F(table.RealVsReal), .. Parzen(table.RealParzen)]);
            rows.AddRange(table.Rows.Select(row => (IReadOnlyList<string>)[row.Generator, F(row.Frechet), .. Parzen(row.Parzen)]));
            Output.Table($"{table.Samples} samples per generator vs {table.TestImages} test images; Fréchet distance on {table.Classifier} features (not Inception FID)",
                ["generator", "Fréchet distance", "Parzen nats/image", "± s.e.", "σ"], rows);
            if (table.RealParzen is not null)
                Output.Line("Parzen-window estimates are far from true log-likelihoods in 784 dimensions and reward memorising the training set (Theis et al. 2016).");
            return 0;
        });
        return cmd;
    }

    private static string[] Parzen(ParzenResults? p) => p is null ? ["", "", ""] :
        [p.MeanLogLikelihood.ToString("F1", CultureInfo.InvariantCulture), p.StandardError.ToString("F1", CultureInfo.InvariantCulture), p.Bandwidth.ToString("F3", CultureInfo.InvariantCulture)];
}
