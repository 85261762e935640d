using System.CommandLine;
using System.Text.Json;
using Aperture.Core;

namespace Aperture.Cli;

/// <summary>
/// The inputs of a verb that maps over images (<c>propose</c>, <c>detect</c>, <c>cam</c>, <c>segment</c>,
/// <c>predict</c>): files and folders as arguments, <c>--list FILE</c>, and <c>--shard i/N</c>; one definition for all.
/// </summary>
internal sealed class BatchInputs
{
    /// <summary>
    /// Options that do not change the results (or, for <c>--threads</c> and <c>--device</c>, are recorded by their
    /// effective value instead); merge does not compare them.
    /// </summary>
    private static readonly HashSet<string> NotCompared = ["--shard", "--list", "--threads", "--device", "--verbose", "--json", "--data"];

    private readonly Argument<string[]> images;
    private readonly Option<string?> list = new("--list") { Description = "A text file naming one input per line (blank lines and # comments skipped), beside any arguments" };
    private readonly Option<string?> shard = new("--shard")
    {
        Description = "Do only shard i of N (0-based) of the sorted inputs (positions p with p % N == i) and write NAME.shard-i-of-N.json into --out; 'aperture merge' joins the N files into what one process writes",
    };

    /// <summary>Adds the images argument, <c>--list</c> and <c>--shard</c> to <paramref name="command"/>.</summary>
    /// <param name="command">The verb.</param>
    /// <param name="what">What the arguments are (e.g. "PNG or JPEG files").</param>
    public BatchInputs(Command command, string what)
    {
        images = new Argument<string[]>("images") { Description = $"{what}, or folders of them (searched recursively); sorted by path", Arity = ArgumentArity.ZeroOrMore };
        command.Add(images);
        command.Add(list);
        command.Add(shard);
    }

    /// <summary>
    /// Plans the batch: the sorted manifest, this process's shard (<c>--shard</c> needs <c>--out</c>), and the options
    /// that decide the results (recorded in a shard file for <c>merge</c> to compare).
    /// </summary>
    /// <param name="r">The parsed command line.</param>
    /// <param name="name">The results' name (<c>proposals</c>: <c>proposals.json</c>, <c>proposals.shard-i-of-N.json</c>).</param>
    /// <param name="extensions">What folders are searched for (default PNG and JPEG).</param>
    /// <param name="timingFields">Result properties that are timings (moved to <c>NAME.timings.json</c>).</param>
    public BatchResults Plan(ParseResult r, string name, IReadOnlyList<string>? extensions = null, params string[] timingFields)
    {
        var part = Shard.Parse(r.GetValue(shard));
        string? outDir = r.GetValue(CommonOptions.Out);
        if (!part.IsWhole && string.IsNullOrEmpty(outDir))
            throw new ArgumentException($"--shard {part} needs --out: the folder, shared by all shards, that {part.FileName(name)} goes to");
        var manifest = ImageManifest.Build(r.GetValue(images), r.GetValue(list), extensions, outDir);
        return new BatchResults(r.CommandResult.Command.Name, name, manifest, part, Options(r), timingFields);
    }

    /// <summary>Writes the results into <c>--out</c> when it was given (verbs that have no default output folder); returns the file, or null.</summary>
    public static string? WriteToOut(ParseResult r, BatchResults batch) =>
        r.GetValue(CommonOptions.Out) is { Length: > 0 } outDir ? batch.Write(outDir) : null;

    /// <summary>
    /// The line that says what <paramref name="batch"/> wrote to <paramref name="file"/>; for a shard, also how many
    /// inputs it took and the merge to run once all N are written.
    /// </summary>
    public static string Describe(BatchResults batch, string file) => batch.Shard.IsWhole
        ? $"{batch.Name}: {file}"
        : $"shard {batch.Shard} of {batch.Name} ({batch.Images.Count} of {batch.Manifest.Count} inputs): {file}; once all {batch.Shard.Count} are written: aperture merge {Path.GetDirectoryName(file)}";

    /// <summary>
    /// The verb's own options plus <c>--out</c> and <c>--seed</c>, each as JSON, except those in <see cref="NotCompared"/>;
    /// and the libtorch thread count and device in effect, since float sums (a convolution's, a matrix product's) can
    /// differ in their last bits between thread counts and devices.
    /// </summary>
    private static Dictionary<string, string?> Options(ParseResult r)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["libtorch threads"] = TorchSharp.torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["device"] = JsonSerializer.Serialize(Torch.ParseDevice(r.GetValue(CommonOptions.Device) ?? "auto").ToString()),
        };
        foreach (var o in r.CommandResult.Command.Options.Append(CommonOptions.Out).Append(CommonOptions.Seed))
            if (!NotCompared.Contains(o.Name) && o is not System.CommandLine.Help.HelpOption)
                options[o.Name] = JsonSerializer.Serialize(r.GetResult(o)?.GetValueOrDefault<object>());
        return options;
    }
}
