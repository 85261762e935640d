using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// A PyTorch <c>state_dict</c> written by <c>torch.save</c> (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>: the zip format PyTorch
/// writes since 1.6), read by TorchSharp.PyBridge's unpickler, which builds only tensors and plain containers (it runs
/// no Python code). Nested dictionaries (e.g. <c>{"state_dict": ..., "epoch": 3}</c>) are flattened with dotted names;
/// entries that are not tensors (numbers, strings) are left out.
/// </summary>
public static class PyTorchStateDictFile
{
    /// <summary>True when the file is a zip archive, as <c>torch.save</c> writes.</summary>
    public static bool LooksLike(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return s.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
    }

    /// <summary>Reads every tensor of a saved <c>state_dict</c>, on the CPU, by name.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a <c>torch.save</c> zip file, a whole pickled model instead of its state_dict, or damaged (the message names the file).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"weights file '{full}' does not exist", full);
        if (!LooksLike(full))
            throw new InvalidDataException($"weights file '{full}' is not a torch.save zip file (an old-format file: re-save it with torch.save(model.state_dict(), path) from PyTorch 1.6 or later)");
        Hashtable table;
        try
        {
            using var s = File.OpenRead(full);
            table = PyTorchUnpickler.UnpickleStateDict(s, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException and not System.Runtime.InteropServices.ExternalException)
        {
            throw new InvalidDataException($"weights file '{full}' could not be read as a PyTorch state_dict: {OneLine(e.Message)}", e);
        }
        var result = new Dictionary<string, Tensor>();
        Flatten(table, "", result);
        if (result.Count == 0)
            throw new InvalidDataException($"weights file '{full}' holds no tensors");
        return result;
    }

    private static void Flatten(IDictionary table, string prefix, Dictionary<string, Tensor> into)
    {
        foreach (DictionaryEntry e in table)
        {
            string name = prefix + e.Key;
            switch (e.Value)
            {
                case Tensor t: into[name] = t; break;
                case IDictionary inner: Flatten(inner, name + ".", into); break;
            }
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
