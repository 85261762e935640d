namespace Aperture.Core;

/// <summary>An output path (a <c>--out</c> folder or a file in it) that cannot be created or written.</summary>
/// <param name="path">The folder or file.</param>
/// <param name="inner">What the file system said.</param>
public sealed class OutputNotWritableException(string path, Exception inner)
    : IOException($"{path}: cannot be written ({inner.Message.TrimEnd('.')}); fix its permissions or choose another --out", inner)
{
    /// <summary>The folder or file that cannot be written.</summary>
    public string Path { get; } = path;
}

/// <summary>Creates output folders, turning a refusal by the file system into one <see cref="OutputNotWritableException"/>.</summary>
public static class OutputFolder
{
    /// <summary>Creates <paramref name="folder"/> (and its parents) when missing.</summary>
    /// <returns>The folder.</returns>
    /// <exception cref="OutputNotWritableException">It cannot be created: no permission, a read-only file system, or a file in the way.</exception>
    public static string Create(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            return folder;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException && !IsDiskFull(e))
        {
            throw new OutputNotWritableException(folder, e);
        }
    }

    /// <summary>Runs <paramref name="write"/>, turning a refusal to write <paramref name="path"/> into an <see cref="OutputNotWritableException"/>.</summary>
    /// <exception cref="OutputNotWritableException">No permission or a read-only file system.</exception>
    public static void Guard(string path, Action write)
    {
        try
        {
            write();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new OutputNotWritableException(path, e);
        }
        catch (IOException e) when (e.HResult == 30 /* EROFS */ || e.HResult == 13 /* EACCES */)
        {
            throw new OutputNotWritableException(path, e);
        }
    }

    private static bool IsDiskFull(Exception e) => ErrorBoundary.IsOutOfResources(e);
}
