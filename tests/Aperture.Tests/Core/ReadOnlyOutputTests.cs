using System.Diagnostics;
using Aperture.Core;
using Aperture.Tests.Data;

namespace Aperture.Tests.Core;

/// <summary>
/// The commonest real-world output failure: a folder the user cannot write. Two ways to make one, each where the
/// machine allows it: a read-only file system (a read-only tmpfs mounted over a temporary folder; needs root and a
/// mount-capable container, so CI's root run gets it) and a folder without write permission (chmod 555; root ignores
/// permissions, so only a non-root run gets it). Each write must end in <see cref="OutputNotWritableException"/>: one
/// line naming the folder, exit code 2.
/// </summary>
public sealed class ReadOnlyOutputTests
{
    private static readonly Action<string>[] Writes =
    [
        d => AtomicFile.WriteAllText(Path.Combine(d, "out", "results.json"), "{}"),
        d => OutputFolder.Create(Path.Combine(d, "out")),
        d => Aperture.Data.Scenes.ScenesWriter.Write(Path.Combine(d, "out"), Aperture.Tests.Data.Scenes.FashionMnistSample.Load(), 2, 1),
    ];

    private static void AssertEachWriteGetsOneLine(string folder)
    {
        foreach (var write in Writes)
        {
            var e = Assert.Throws<OutputNotWritableException>(() =>
            {
                try { write(folder); }
                catch (AggregateException a) { throw ErrorBoundary.Unwrap(a); }
            });
            Assert.Equal(ErrorBoundary.BadInput, ErrorBoundary.ExitCodeFor(e));
            string line = ErrorBoundary.Describe(e);
            Assert.Contains(folder, line);
            Assert.DoesNotContain("\n", line);
        }
    }

    [ReadOnlyMountFact]
    public void AReadOnlyFileSystemGetsOneLine()
    {
        using var dir = new TempDir();
        Assert.Equal(0, ReadOnlyMountFactAttribute.Run("mount", $"-t tmpfs -o ro,size=1m aperture-ro {dir.Path}"));
        try { AssertEachWriteGetsOneLine(dir.Path); }
        finally { ReadOnlyMountFactAttribute.Run("umount", dir.Path); }
    }

    [NonRootFact]
    public void AFolderWithoutWritePermissionGetsOneLine()
    {
        using var dir = new TempDir();
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        try { AssertEachWriteGetsOneLine(dir.Path); }
        finally { File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); }
    }
}

/// <summary>Runs only as root where a read-only tmpfs can be mounted (tried once, on a throw-away folder).</summary>
public sealed class ReadOnlyMountFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root") return "needs root to mount a read-only file system";
        using var probe = new TempDir();
        try
        {
            if (Run("mount", $"-t tmpfs -o ro,size=1m aperture-ro-probe {probe.Path}") != 0) return "this machine does not allow mounting a tmpfs (a container without CAP_SYS_ADMIN)";
            Run("umount", probe.Path);
            return null;
        }
        catch (System.ComponentModel.Win32Exception) { return "no mount command"; }
    });

    public ReadOnlyMountFactAttribute()
    {
        if (Reason.Value is { } why) Skip = why;
    }

    /// <summary>Runs a command quietly and returns its exit code.</summary>
    public static int Run(string command, string arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }
}

/// <summary>Runs only as a non-root user: root writes through missing write permission.</summary>
public sealed class NonRootFactAttribute : FactAttribute
{
    public NonRootFactAttribute()
    {
        if (Environment.UserName == "root") Skip = "root ignores file permissions; the read-only file-system test covers root runs";
    }
}
