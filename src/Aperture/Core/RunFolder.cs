namespace Aperture.Core;

/// <summary>
/// A trained model named the way users name it: a checkpoint file, or the run folder a training verb wrote
/// (<c>checkpoints/best.ckpt</c>, else <c>checkpoints/last.ckpt</c>).
/// </summary>
public static class RunFolder
{
    private static readonly string[] Candidates = ["checkpoints/best.ckpt", "checkpoints/last.ckpt", "best.ckpt", "last.ckpt"];

    /// <summary>The checkpoint file <paramref name="fileOrFolder"/> stands for.</summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a folder holding a checkpoint.</exception>
    public static string Checkpoint(string fileOrFolder)
    {
        if (File.Exists(fileOrFolder)) return fileOrFolder;
        if (!Directory.Exists(fileOrFolder)) throw new FileNotFoundException($"{fileOrFolder}: no such checkpoint file or run folder");
        foreach (string candidate in Candidates)
        {
            string p = Path.Combine(fileOrFolder, candidate);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{fileOrFolder}: this folder holds no checkpoint (looked for checkpoints/best.ckpt and checkpoints/last.ckpt)");
    }

    /// <summary>The checkpoint <paramref name="fileOrFolder"/> stands for and its card, checked to be of <paramref name="family"/>.</summary>
    /// <exception cref="FileNotFoundException">No checkpoint there.</exception>
    /// <exception cref="InvalidDataException">Damaged, no card, or another family's model (the message names the verb to use).</exception>
    public static (string Checkpoint, ModelCard Card) Open(string fileOrFolder, string family)
    {
        string path = Checkpoint(fileOrFolder);
        return (path, ModelCard.Expect(path, family));
    }

    /// <summary>The run folder of a checkpoint inside <c>RUN/checkpoints/</c> (else the checkpoint's own folder).</summary>
    public static string Of(string checkpoint)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        return Path.GetFileName(dir) == "checkpoints" ? Path.GetDirectoryName(dir)! : dir;
    }
}
