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
            Console.Error.WriteLine($"aperture: error: {e.Message}");
            return e is TrainingStoppedException ? 3 : 2;
        }
    }

    private static bool IsUserError(Exception e) => e is InvalidDataException or ArgumentException or FileNotFoundException
        or DirectoryNotFoundException or IOException or TrainingStoppedException or InvalidOperationException or NotSupportedException;

    /// <summary>Makes a command with a description that ends in an example line.</summary>
    public static Command Command(string name, string description, string example) =>
        new(name, $"{description}\nExample: {example}");
}
