using System.CommandLine;
using Aperture.Training;

namespace Aperture.Cli;

/// <summary>Runs a parsed command and turns the library's errors into one clear line and an exit code.</summary>
internal static class Cli
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine(e is TrainingStoppedException ? $"aperture: training stopped: {e.Message}" : $"aperture: error: {e.Message}");
            return e is TrainingStoppedException ? 3 : 2;
        }
    }

    private static bool IsUserError(Exception e) => e is InvalidDataException or ArgumentException or FileNotFoundException
        or DirectoryNotFoundException or IOException or TrainingStoppedException or InvalidOperationException or NotSupportedException;

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
