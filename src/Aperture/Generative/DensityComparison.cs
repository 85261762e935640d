using Aperture.Core;
using static TorchSharp.torch;

namespace Aperture.Generative;

/// <summary>One row of the likelihood table: a model with its options, on one kind of data.</summary>
/// <param name="Label">Short name in the table, e.g. <c>ppca q=60</c>.</param>
/// <param name="Model">Registry name.</param>
/// <param name="Assignments">Its options (<c>name=value</c>).</param>
public sealed record DensityEntry(string Label, string Model, IReadOnlyList<string> Assignments);

/// <summary>A row of the likelihood table as measured.</summary>
/// <param name="Label">The entry's label.</param>
/// <param name="Results">The run's results (data kind, mean test log-likelihood in nats, estimator, times).</param>
/// <param name="RunFolder">Its run folder (the model).</param>
public sealed record DensityRow(string Label, DensityResults Results, string RunFolder);

/// <summary>A published figure shown beside ours, on the dataset it was measured on.</summary>
/// <param name="Label">Model.</param>
/// <param name="LogLikelihood">Test log-likelihood in nats.</param>
/// <param name="Dataset">Dataset (not ours).</param>
/// <param name="Source">Paper and table.</param>
public sealed record PaperFigure(string Label, double LogLikelihood, string Dataset, string Source);

/// <summary>The likelihood table: every row and the papers' figures.</summary>
/// <param name="Rows">Our rows, continuous (dequantised) data first, then binarised.</param>
/// <param name="Papers">Published figures on another dataset, for scale only.</param>
/// <param name="TestExamples">Test images every row was scored on (the same ones, the first of the test set).</param>
/// <param name="Source">Where the images came from.</param>
public sealed record DensityTable(IReadOnlyList<DensityRow> Rows, IReadOnlyList<PaperFigure> Papers, long TestExamples, string Source);

/// <summary>
/// Fits every density model on the same split and scores them on the same test images: the likelihood table. Rows on
/// dequantised data (densities on [0, 1)^784) compare with each other; rows on binarised data (probabilities of
/// binary images) compare with each other and, for scale only, with the papers' binarised-MNIST figures.
/// </summary>
public static class DensityComparison
{
    /// <summary>The latent size at which the VAE and PPCA are compared like with like.</summary>
    public const int SharedLatent = 20;

    /// <summary>The rows of the table.</summary>
    public static IReadOnlyList<DensityEntry> Entries { get; } =
    [
        new("kde", "kde", []),
        new($"ppca q={SharedLatent}", "ppca", [$"components={SharedLatent}"]),
        new("ppca q=60", "ppca", ["components=60"]),
        new("ppca q=250", "ppca", ["components=250"]),
        new("density-net L=2", "density-net", []),
        new($"vae L={SharedLatent} gaussian", "vae", [$"latent={SharedLatent}", "decoder=gaussian"]),
        new($"vae L={SharedLatent} bernoulli", "vae", [$"latent={SharedLatent}", "decoder=bernoulli"]),
        new($"iwae k=5 L={SharedLatent} bernoulli", "vae", [$"latent={SharedLatent}", "decoder=bernoulli", "train_samples=5"]),
    ];

    /// <summary>Burda, Grosse &amp; Salakhutdinov (ICLR 2016), table 1: one stochastic layer, k = 5,000 evaluation samples.</summary>
    public static IReadOnlyList<PaperFigure> Papers { get; } =
    [
        new("VAE (k=1 training)", -86.76, "binarised MNIST (not Fashion-MNIST)", "Burda et al. 2016, table 1"),
        new("IWAE (k=50 training)", -84.78, "binarised MNIST (not Fashion-MNIST)", "Burda et al. 2016, table 1"),
    ];

    /// <summary>Runs every entry (or those named in <paramref name="only"/>) into <c>OUT/LABEL</c> and writes <c>table.json</c>.</summary>
    /// <param name="settings">Shared settings; <see cref="DensitySettings.Model"/> and <see cref="DensitySettings.Assignments"/> are set per entry.</param>
    /// <param name="device">Where to train.</param>
    /// <param name="only">Labels or model names to run, or null for all.</param>
    /// <param name="load">Makes the data of a kind (e.g. from images already loaded), or null to load Fashion-MNIST as
    /// <paramref name="settings"/> say; the comparison disposes what it returns.</param>
    public static DensityTable Execute(DensitySettings settings, Device device, IReadOnlySet<string>? only = null, Func<DensityDataKind, DensityData>? load = null)
    {
        var entries = Entries.Where(e => only is null || only.Contains(e.Label) || only.Contains(e.Model)).ToList();
        foreach (var e in entries) (settings with { Model = e.Model, Assignments = e.Assignments }).Recipe(); // bad settings fail first
        var rows = new List<DensityRow>();
        var data = new Dictionary<DensityDataKind, DensityData>();
        try
        {
            foreach (var e in entries)
            {
                var s = settings with { Model = e.Model, Assignments = e.Assignments, OutputDirectory = Path.Combine(settings.OutputDirectory, Slug(e.Label)) };
                var kind = DensityModels.Find(e.Model).DataKind(s.Recipe().Options);
                if (!data.TryGetValue(kind, out var d))
                    data[kind] = d = load?.Invoke(kind) ?? DensityData.Load(kind, settings.Seed, settings.Validation, settings.Limit, settings.TestLimit, settings.DataDirectory);
                var (fitted, results) = DensityRun.Execute(s, device, d);
                fitted.Model.Dispose();
                rows.Add(new DensityRow(e.Label, results, s.OutputDirectory));
            }
        }
        finally
        {
            foreach (var d in data.Values) d.Dispose();
        }
        var table = new DensityTable(rows, Papers, rows.Count > 0 ? rows[0].Results.TestExamples : 0, rows.Count > 0 ? rows[0].Results.Source : "");
        RunResults.Write(settings.OutputDirectory, table, "table.json");
        return table;
    }

    /// <summary>A folder name for a label.</summary>
    public static string Slug(string label) => new(label.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
}
