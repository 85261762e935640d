using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Core;

/// <summary>
/// One place that prepares libtorch for Aperture: thread count, device choice and seeding.
/// The native library itself is made loadable at build time (see build/GlibcxxWeakPatch.targets).
/// </summary>
public static class Torch
{
    /// <summary>The largest thread count <see cref="SetThreads"/> accepts: 4 x the machine's cores.</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>Sets the number of intra-op threads libtorch uses (0 keeps its default).</summary>
    /// <exception cref="ArgumentException">The count is negative or above <see cref="MaxThreads"/>.</exception>
    public static void SetThreads(int threads)
    {
        if (threads < 0 || threads > MaxThreads)
            throw new ArgumentException(
                $"--threads {threads} is out of range: it must be between 1 and {MaxThreads} (4 x {Environment.ProcessorCount} cores), or 0 for libtorch's default");
        if (threads > 0) torch.set_num_threads(threads);
    }

    /// <summary>
    /// Parses a device name: "cpu", "cuda", "cuda:N", or "auto" (CUDA when available, else CPU).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a device, or CUDA was asked for and is absent.</exception>
    public static Device ParseDevice(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "auto") return cuda.is_available() ? CUDA : CPU;
        if (n == "cpu") return CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"device '{name}': CUDA is not available on this machine (this build uses TorchSharp-cpu); use --device cpu");
            return new Device(n);
        }
        throw new ArgumentException($"device '{name}' is not one of: auto, cpu, cuda, cuda:N");
    }

    /// <summary>Seeds libtorch's global generator so that the same seed gives the same numbers on CPU.</summary>
    public static void Seed(long seed)
    {
        torch.manual_seed(seed);
        torch.random.manual_seed(seed);
    }
}
