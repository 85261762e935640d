using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Aperture.Core;

/// <summary>
/// Guards against a fault of libtorch 2.10's oneDNN (mkldnn) convolutions on some CPUs: on an AMD EPYC of family 26
/// (Zen 5, 2026-12-02/03) a convolution's input gradient, and a transposed convolution's forward, came out wrong — off
/// by a third or more, sometimes NaN — for 2-D and 3-D, channels-first and (less often) channels-last inputs, at one
/// thread or two, while oneDNN off agreed with itself to 1e-6. Nine tests failed on such a machine (the GAN and context
/// encoder stopped on a NaN loss). When the assembly loads, this checks the fault directly — a small 3-D convolution's
/// input gradient with oneDNN, three times, against libtorch's own kernels (3-D, where the fault showed on nearly every
/// call; and a 2-D one would print libtorch's NNPACK warning before a CLI's one-line error) — and turns oneDNN off
/// for the process when any differs, so results are right at the cost of speed (a pre-training step 2.4x slower there).
/// Capping oneDNN's instruction set (<c>ONEDNN_MAX_CPU_ISA</c>) at SSE4.1 made every case right there, and a 2-D dilated
/// convolution's forward too, which AVX (12 channels, dilation 2: off by 38%) and AVX2 got wrong — so on an AMD CPU of
/// family 26, when the variable is not set, the check sets it to <c>SSE41</c> (<see cref="InstructionSetCap"/>) before
/// oneDNN's first use, which reads it once. It then checks as everywhere, that dilated forward included.
/// Where the check passes oneDNN stays on. TorchSharp has no switch for this, so libtorch's functions
/// (<c>at::globalContext()</c>, <c>at::Context::setUserEnabledMkldnn</c>) are called directly.
/// NNPACK is turned off in every process (<c>setUserEnabledNNPACK</c>): libtorch tries it only for inference 2-D
/// convolutions of a batch of 16 or more that oneDNN declines (oneDNN off, or capped as above: R-CNN's batches of warped
/// regions), and on that CPU NNPACK failed to initialise and printed "Could not initialize NNPACK! Reason: Unsupported
/// hardware." at every such call — 39,165 lines in one quick report — before falling back to libtorch's own kernels,
/// which it now uses directly.
/// </summary>
public static class OneDnnCheck
{
    /// <summary>True when the check found the fault and oneDNN was turned off for this process.</summary>
    public static bool Disabled { get; private set; }

    /// <summary>The instruction set the check capped oneDNN at (<c>SSE41</c> on AMD family 26), or null when it did not.</summary>
    public static string? InstructionSetCap { get; private set; }

    private const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    private static readonly object NativeKernelsLock = new();
    private static int _nativeKernelsDepth;

    /// <summary>
    /// Where the check capped oneDNN (<see cref="InstructionSetCap"/>), turns it off until the returned scope is disposed,
    /// so convolutions run on libtorch's own kernels: im2col and MKL's sgemm, which the cap does not reach. Those are the
    /// faster ones at SSE4.1 for a few whole images at a time — on that CPU a Fast R-CNN step of two 128x128 scenes took
    /// 50 ms through the body against 72 ms with oneDNN, and an epoch of 600 scenes 18.8 s against 29.6 s — while oneDNN stays
    /// the faster for large batches of small images (a pre-training step of 128 items at 32x32: 261 ms against 383 ms),
    /// so it is not turned off for the whole process. Elsewhere (oneDNN uncapped, or off) this does nothing.
    /// The switch is process-wide, as libtorch's is: scopes nest and may overlap across threads (oneDNN comes back when
    /// the last one ends), and a convolution elsewhere in the process meanwhile runs on libtorch's kernels too, which are
    /// right on every CPU; only its speed changes.
    /// </summary>
    public static IDisposable NativeKernelsWhereCapped()
    {
        bool active = InstructionSetCap is not null && !Disabled;
        if (active)
            lock (NativeKernelsLock)
                if (_nativeKernelsDepth++ == 0) SetUserEnabledMkldnn(GlobalContext(), false);
        return new NativeKernelsScope(active);
    }

    /// <summary>Open <see cref="NativeKernelsWhereCapped"/> scopes and libtorch's oneDNN switch, read together.</summary>
    internal static (int OpenScopes, bool OneDnnOn) NativeKernelsState()
    {
        lock (NativeKernelsLock) return (_nativeKernelsDepth, UserEnabledMkldnn(GlobalContext()));
    }

    private sealed class NativeKernelsScope(bool active) : IDisposable
    {
        private int _disposed = active ? 0 : 1;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lock (NativeKernelsLock)
                if (--_nativeKernelsDepth == 0) SetUserEnabledMkldnn(GlobalContext(), true);
        }
    }

#pragma warning disable CA2255 // a library's module initializer, on purpose: the check must run before any convolution
    [ModuleInitializer]
    internal static void Run()
    {
        try
        {
            CapInstructionSet();
            var ctx = GlobalContext();
            SetUserEnabledNnpack(ctx, false);
            if (!Faulty()) return;
            SetUserEnabledMkldnn(ctx, false);
            Disabled = true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            // Another libtorch build (or none yet): nothing to check against.
        }
    }
#pragma warning restore CA2255

    /// <summary>
    /// On AMD family 26 (Zen 5), sets <c>ONEDNN_MAX_CPU_ISA=SSE41</c> in the native environment unless the user set it;
    /// .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> would not reach libtorch's <c>getenv</c>.
    /// </summary>
    private static void CapInstructionSet()
    {
        if (Environment.GetEnvironmentVariable(IsaVariable) is not null || !IsAmdFamily26()) return;
        try
        {
            if (SetEnv(IsaVariable, "SSE41", 0) == 0) InstructionSetCap = "SSE41";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library to set it in (not Linux): the check below still turns a faulty oneDNN off.
        }
    }

    private static bool IsAmdFamily26()
    {
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported) return false;
        var (_, b, c, d) = System.Runtime.Intrinsics.X86.X86Base.CpuId(0, 0);
        bool amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; // "Auth" "enti" "cAMD"
        int eax = System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0).Eax;
        int family = (eax >> 8) & 0xF;
        if (family == 0xF) family += (eax >> 20) & 0xFF;
        return amd && family == 26;
    }

    private static bool Faulty()
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        using var generator = new TorchSharp.torch.Generator(1234); // not the global generator: seeding stays the caller's
        var volume = randn(new long[] { 1, 2, 8, 8, 8 }, generator: generator);
        var kernel3 = randn(new long[] { 4, 2, 5, 5, 5 }, generator: generator);
        var ctx = GlobalContext();
        for (int i = 0; i < 3; i++)
        {
            SetUserEnabledMkldnn(ctx, true);
            var withOneDnn = InputGradient(volume, kernel3);
            SetUserEnabledMkldnn(ctx, false);
            var without = InputGradient(volume, kernel3);
            SetUserEnabledMkldnn(ctx, true);
            if (!withOneDnn.allclose(without, rtol: 1e-3, atol: 1e-5)) return true;
        }
        // A dilated 2-D convolution's forward, which AVX-capped kernels got wrong on that CPU (12 channels, dilation 2).
        var image = randn(new long[] { 2, 12, 16, 16 }, generator: generator);
        var kernel2 = randn(new long[] { 12, 12, 3, 3 }, generator: generator);
        long[] two = { 2, 2 };
        SetUserEnabledMkldnn(ctx, true);
        var forward = nn.functional.conv2d(image, kernel2, padding: two, dilation: two);
        SetUserEnabledMkldnn(ctx, false);
        var reference = nn.functional.conv2d(image, kernel2, padding: two, dilation: two);
        SetUserEnabledMkldnn(ctx, true);
        return !forward.allclose(reference, rtol: 1e-3, atol: 1e-4);
    }

    private static Tensor InputGradient(Tensor input, Tensor kernel)
    {
        var x = input.detach().clone().requires_grad_(true);
        nn.functional.conv3d(x, kernel, padding: new long[] { 2, 2, 2 }).square().sum().backward();
        return x.grad!.detach().clone();
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
