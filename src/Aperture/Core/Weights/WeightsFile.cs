using static TorchSharp.torch;

namespace Aperture.Core.Weights;

/// <summary>
/// Named tensors from a weights file of any kind Aperture reads, told apart by content (not by extension): a PyTorch
/// <c>state_dict</c> (<c>torch.save</c>), a <c>.safetensors</c> file, or an Aperture checkpoint (its <c>model</c> module).
/// </summary>
public static class WeightsFile
{
    /// <summary>Reads every tensor of <paramref name="path"/>, on the CPU, by name. The caller owns (disposes) them.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a weights file Aperture reads, or damaged (the message names the file).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"weights file '{full}' does not exist", full);
        if (PyTorchStateDictFile.LooksLike(full)) return PyTorchStateDictFile.Read(full);
        if (IsCheckpoint(full)) return Checkpoint.ReadModuleState(full);
        if (SafetensorsFile.LooksLike(full)) return SafetensorsFile.Read(full);
        throw new InvalidDataException($"weights file '{full}' is neither a PyTorch state_dict (torch.save zip), a .safetensors file nor an Aperture checkpoint");
    }

    private static bool IsCheckpoint(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> head = stackalloc byte[8];
        return s.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual("APCKPT01"u8);
    }
}
