using System.CommandLine;
using Aperture.Core;

namespace Aperture.Cli;

/// <summary>Options every verb takes (declared recursive on the root command).</summary>
internal static class CommonOptions
{
    public static readonly Option<string> Out = new("--out", "-o")
    {
        Description = "Folder for outputs (checkpoints, PNGs, JSON, report)",
        Recursive = true,
    };

    public static readonly Option<long> Seed = new("--seed")
    {
        Description = "Random seed; the same seed gives the same numbers on CPU",
        DefaultValueFactory = _ => 0,
        Recursive = true,
    };

    public static readonly Option<string> Device = new("--device")
    {
        Description = "auto, cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON results instead of tables",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Also print a line per image (else a progress bar on a terminal, a line every few seconds otherwise), and the stack trace of an error",
        Recursive = true,
    };

    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "Intra-op threads for libtorch, 1 to 4 x the cores (0: libtorch's default)",
        DefaultValueFactory = _ => 0,
        Recursive = true,
    };

    public static readonly Option<string?> Data = new("--data")
    {
        Description = "Folder holding the Fashion-MNIST IDX files (else APERTURE_DATA, Debian's package, the cache, the shipped sample)",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Add(Out);
        root.Add(Seed);
        root.Add(Device);
        root.Add(Json);
        root.Add(Verbose);
        root.Add(Threads);
        root.Add(Data);
    }

    /// <summary>Applies threads and seed; returns the device.</summary>
    public static TorchSharp.torch.Device Apply(ParseResult r)
    {
        Torch.SetThreads(r.GetValue(Threads));
        Torch.Seed(r.GetValue(Seed));
        return Torch.ParseDevice(r.GetValue(Device) ?? "auto");
    }

    /// <summary>
    /// The progress of the verb: plain lines on stderr with <c>--json</c> (stdout stays machine-readable), plain lines
    /// on stdout when it is redirected, else a live bar; per-item lines only with <c>--verbose</c>.
    /// </summary>
    public static IProgressSink Progress(ParseResult r)
    {
        bool verbose = r.GetValue(Verbose);
        if (r.GetValue(Json)) return ProgressReporter.Lines(Console.Error, verbose);
        if (Console.IsOutputRedirected) return ProgressReporter.Lines(Console.Out, verbose);
        // NO_COLOR (https://no-color.org): the bar keeps its shape (█ and ░) without colour codes.
        var console = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            ? Spectre.Console.AnsiConsole.Console
            : Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
            {
                ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
                Out = new Spectre.Console.AnsiConsoleOutput(Console.Out),
            });
        return ProgressReporter.Terminal(console, verbose);
    }

    /// <summary>The output folder, or <paramref name="fallback"/> when none was given.</summary>
    public static string OutDir(ParseResult r, string fallback) => r.GetValue(Out) is { Length: > 0 } o ? o : fallback;
}
