using System.Reflection;
using System.Runtime.InteropServices;

namespace Aperture.Core;

/// <summary>
/// The one place that decides what a failure means to the user: which exit code it gets and the single line that
/// describes it. The CLI's boundary (<c>Cli.Run</c>) calls it for every exception that escapes a verb.
/// </summary>
/// <remarks>
/// Exit codes: 0 success, <see cref="InternalError"/> 1, <see cref="BadInput"/> 2, <see cref="TrainingStopped"/> 3,
/// <see cref="OutOfResources"/> 4.
/// </remarks>
public static class ErrorBoundary
{
    /// <summary>Exit code of an unexpected failure (a bug): 1.</summary>
    public const int InternalError = 1;

    /// <summary>Exit code of bad input (options, data files, checkpoints, paths that cannot be read or written): 2.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of a training run stopped by its guards (e.g. a loss that became NaN): 3.</summary>
    public const int TrainingStopped = 3;

    /// <summary>Exit code of running out of resources (memory, disk space, libtorch allocations): 4.</summary>
    public const int OutOfResources = 4;

    /// <summary>
    /// The exception that says what went wrong: an <see cref="AggregateException"/> (from parallel loops and tasks) or a
    /// <see cref="TargetInvocationException"/> is replaced by its first inner exception, repeatedly.
    /// </summary>
    public static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: > 0 } a: e = a.InnerExceptions[0]; break;
                case TargetInvocationException { InnerException: { } inner }: e = inner; break;
                default: return e;
            }
        }
    }

    /// <summary>The documented exit code for <paramref name="e"/> (unwrapped first).</summary>
    public static int ExitCodeFor(Exception e)
    {
        e = Unwrap(e);
        if (IsOutOfResources(e)) return OutOfResources;
        return e switch
        {
            TrainingStoppedException => TrainingStopped,
            UnauthorizedAccessException or IOException or InvalidDataException or ArgumentException or FormatException
                or OverflowException or NotSupportedException or InvalidOperationException
                or System.Text.Json.JsonException or System.Xml.XmlException => BadInput,
            _ => InternalError,
        };
    }

    /// <summary>
    /// The one line (without the <c>aperture: error:</c> prefix) that describes <paramref name="e"/>: what failed,
    /// which file, and what to do where that is known.
    /// </summary>
    public static string Describe(Exception e)
    {
        e = Unwrap(e);
        string message = OneLine(e.Message);
        return e switch
        {
            TrainingStoppedException => $"training stopped: {message}",
            OutputNotWritableException => message,
            _ when IsDiskFull(e) => $"the disk is full: {message}; free some space or choose another --out",
            OutOfMemoryException => "out of memory; try a smaller --batch-size, fewer --threads or a smaller dataset",
            _ when IsOutOfResources(e) => $"libtorch could not allocate memory: {message}; try a smaller --batch-size",
            UnauthorizedAccessException => $"{message} The path cannot be written (or read): fix its permissions or choose another --out",
            IOException when e is not FileNotFoundException and not DirectoryNotFoundException and not EndOfStreamException
                => $"{message} The path cannot be written (or read): check it or choose another --out",
            _ when ExitCodeFor(e) == InternalError => $"internal error ({e.GetType().Name}): {message}; rerun with --verbose and report it",
            _ => message,
        };
    }

    /// <summary>True for out-of-memory, a full disk, or a libtorch allocation failure.</summary>
    public static bool IsOutOfResources(Exception e) =>
        e is OutOfMemoryException || IsDiskFull(e)
        || (e is ExternalException && (e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase)
                                       || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)));

    private static bool IsDiskFull(Exception e) =>
        e is IOException && (e.HResult == 28 /* ENOSPC */ || e.HResult == unchecked((int)0x80070070) /* ERROR_DISK_FULL */
                             || e.HResult == unchecked((int)0x80070027) /* ERROR_HANDLE_DISK_FULL */);

    private static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
