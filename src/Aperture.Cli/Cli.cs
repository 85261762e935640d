using System.CommandLine;
using Aperture.Core;

namespace Aperture.Cli;

/// <summary>Runs a parsed command and turns the library's errors into one clear line and an exit code.</summary>
internal static class Cli
{
    /// <summary>
    /// The one error boundary: runs the command; any failure prints one line <c>aperture: error: …</c> on stderr (with
    /// the stack trace under <c>--verbose</c>) and returns the documented exit code (<see cref="ErrorBoundary"/>):
    /// 2 bad input (including a command line that does not parse), 3 training stopped, 4 out of resources, 1 internal error.
    /// </summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        try
        {
            int code = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            return parse.Errors.Count > 0 && code != 0 ? ErrorBoundary.BadInput : code;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"aperture: error: {ErrorBoundary.Describe(e)}");
            if (Verbose(parse)) Console.Error.WriteLine(e);
            return ErrorBoundary.ExitCodeFor(e);
        }
    }

    private static bool Verbose(ParseResult parse)
    {
        try { return parse.GetValue(CommonOptions.Verbose); }
        catch (Exception) { return false; }
    }

    /// <summary>The <c>train</c> verb group (created on first use), which each family's file adds its verb to.</summary>
    public static Command Train(RootCommand root)
    {
        var train = root.Subcommands.FirstOrDefault(c => c.Name == "train");
        if (train is null)
        {
            train = new Command("train", "Train a model; checkpoints, metrics.jsonl, TensorBoard events, PNGs and results.json go to --out.");
            root.Add(train);
        }
        return train;
    }

    /// <summary>Makes a command with a description that ends in an example line.</summary>
    public static Command Command(string name, string description, string example) =>
        new(name, $"{description}\nExample: {example}");
}
