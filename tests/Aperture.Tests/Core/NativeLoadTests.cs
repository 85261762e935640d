using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Tests.Core;

public class NativeLoadTests
{
    [Fact]
    public void ConvForwardAndBackwardRunOnTheBuiltNativeLibrary()
    {
        using var scope = NewDisposeScope();
        Aperture.Core.Torch.Seed(1);
        var x = randn(2, 3, 8, 8, requires_grad: true);
        var conv = nn.Conv2d(3, 4, 3);
        var y = conv.forward(x);
        Assert.Equal(new long[] { 2, 4, 6, 6 }, y.shape);
        y.sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(x.grad!.abs().sum().item<float>() > 0);
        Assert.NotNull(conv.weight!.grad);
    }

    /// <summary>
    /// A convolution's input gradient on the default layout equals the float64 one: what <see cref="Aperture.Core.OneDnnCheck"/>
    /// ensures on CPUs whose oneDNN gets it wrong (and what holds anyway elsewhere). Repeated, as the fault came and went.
    /// </summary>
    [Fact]
    public void ConvolutionInputGradientsAreRightOnThisCpu()
    {
        using var scope = NewDisposeScope();
        _ = Aperture.Core.OneDnnCheck.Disabled; // loads the check
        Aperture.Core.Torch.Seed(5);
        var volume = randn(new long[] { 1, 2, 8, 8, 8 });
        var kernel = randn(new long[] { 4, 2, 5, 5, 5 });
        Tensor Gradient(ScalarType type)
        {
            var x = volume.to(type).detach().clone().requires_grad_(true);
            nn.functional.conv3d(x, kernel.to(type), padding: new long[] { 2, 2, 2 }).square().sum().backward();
            return x.grad!.to(ScalarType.Float32);
        }
        var reference = Gradient(ScalarType.Float64);
        for (int i = 0; i < 4; i++)
        {
            var g = Gradient(ScalarType.Float32);
            Assert.True(g.allclose(reference, rtol: 1e-3, atol: 1e-3), $"call {i}: the input gradient is off by {(g - reference).abs().max().item<float>()} (oneDNN disabled: {Aperture.Core.OneDnnCheck.Disabled})");
        }
    }

    /// <summary>
    /// The other cases the fault showed in, on a batch of four 2-D images (the check itself tries only the 3-D one): a
    /// convolution's input gradient and a transposed convolution's forward, channels-first and channels-last, against
    /// float64 (which no oneDNN kernel computes).
    /// </summary>
    [Fact]
    public void BatchedTwoDimensionalConvolutionsAreRightOnThisCpu()
    {
        using var scope = NewDisposeScope();
        _ = Aperture.Core.OneDnnCheck.Disabled;
        Aperture.Core.Torch.Seed(6);
        var images = randn(new long[] { 4, 3, 24, 24 });
        var kernel = randn(new long[] { 8, 3, 3, 3 });
        var transposedKernel = randn(new long[] { 3, 8, 3, 3 });
        foreach (bool channelsLast in new[] { false, true })
        {
            (Tensor Gradient, Tensor Transposed) Run(ScalarType type)
            {
                var x = images.to(type).detach().clone();
                if (channelsLast) x = Aperture.Nn.ChannelsLast.Of(x);
                x.requires_grad_(true);
                nn.functional.conv2d(x, kernel.to(type), padding: new long[] { 1, 1 }).square().sum().backward();
                var t = nn.functional.conv_transpose2d(x.detach(), transposedKernel.to(type), padding: new long[] { 1, 1 });
                return (x.grad!.to(ScalarType.Float32), t.to(ScalarType.Float32));
            }
            var (g64, t64) = Run(ScalarType.Float64);
            for (int i = 0; i < 3; i++)
            {
                var (g, t) = Run(ScalarType.Float32);
                string where = $"call {i}, {(channelsLast ? "channels-last" : "channels-first")} (oneDNN disabled: {Aperture.Core.OneDnnCheck.Disabled})";
                Assert.True(g.allclose(g64, rtol: 1e-3, atol: 1e-3), $"{where}: the input gradient is off by {(g - g64).abs().max().item<float>()}");
                Assert.True(t.allclose(t64, rtol: 1e-3, atol: 1e-3), $"{where}: the transposed convolution is off by {(t - t64).abs().max().item<float>()}");
            }
        }
    }

    /// <summary>
    /// A dilated 2-D convolution's forward equals the float64 one, for channel counts on and off the vector width and
    /// dilations 1–4: on an AMD EPYC of family 26, oneDNN capped at AVX got 12 channels at dilation 2 wrong by 38%.
    /// </summary>
    [Fact]
    public void DilatedConvolutionsAreRightOnThisCpu()
    {
        using var scope = NewDisposeScope();
        _ = Aperture.Core.OneDnnCheck.Disabled;
        Aperture.Core.Torch.Seed(7);
        foreach (int channels in new[] { 6, 12, 16, 48 })
            foreach (int dilation in new[] { 1, 2, 4 })
            {
                var x = randn(new long[] { 2, channels, 16, 16 });
                var w = randn(new long[] { channels, channels, 3, 3 });
                long[] d = { dilation, dilation };
                var y = nn.functional.conv2d(x, w, padding: d, dilation: d);
                var reference = nn.functional.conv2d(x.to(ScalarType.Float64), w.to(ScalarType.Float64), padding: d, dilation: d).to(ScalarType.Float32);
                Assert.True(y.allclose(reference, rtol: 1e-3, atol: 1e-3),
                    $"{channels} channels, dilation {dilation}: off by {(y - reference).abs().max().item<float>()} (oneDNN disabled: {Aperture.Core.OneDnnCheck.Disabled})");
            }
    }

    [Fact]
    public void NnpackIsOffOnceTheLibraryLoads()
    {
        _ = Aperture.Core.OneDnnCheck.Disabled;
        Assert.False(UserEnabledNnpack(GlobalContext()), "libtorch would try NNPACK (and, where it cannot start, print a warning per convolution)");
    }

    /// <summary>
    /// On an AMD CPU of family 26 (Zen 5) whose environment does not set <c>ONEDNN_MAX_CPU_ISA</c>, the check caps oneDNN at
    /// SSE4.1 — where its convolutions are right — and so keeps it on; on any other CPU it leaves the instruction set alone.
    /// </summary>
    [Fact]
    public void OneDnnIsCappedAtSse41OnAmdFamily26AndStaysOn()
    {
        _ = Aperture.Core.OneDnnCheck.Disabled;
        bool userSet = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is not null;
        var (_, b, c, d) = System.Runtime.Intrinsics.X86.X86Base.IsSupported ? System.Runtime.Intrinsics.X86.X86Base.CpuId(0, 0) : default;
        int eax = System.Runtime.Intrinsics.X86.X86Base.IsSupported ? System.Runtime.Intrinsics.X86.X86Base.CpuId(1, 0).Eax : 0;
        string vendor = string.Concat(new[] { b, d, c }.Select(r => System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(r))));
        int family = ((eax >> 8) & 0xF) == 0xF ? 0xF + ((eax >> 20) & 0xFF) : (eax >> 8) & 0xF;
        if (vendor == "AuthenticAMD" && family == 26 && !userSet)
        {
            Assert.Equal("SSE41", Aperture.Core.OneDnnCheck.InstructionSetCap);
            Assert.False(Aperture.Core.OneDnnCheck.Disabled, "capped at SSE4.1, oneDNN's convolutions should be right and oneDNN on");
            var (openScopes, oneDnnOn) = Aperture.Core.OneDnnCheck.NativeKernelsState();
            Assert.True(oneDnnOn || openScopes > 0, "oneDNN is off with no NativeKernelsWhereCapped scope open");
        }
        else Assert.Null(Aperture.Core.OneDnnCheck.InstructionSetCap);
    }

    /// <summary>
    /// Where oneDNN is capped, a <see cref="Aperture.Core.OneDnnCheck.NativeKernelsWhereCapped"/> scope turns it off and the
    /// last scope to end turns it back on; where it is not capped the scope changes nothing. (Other tests may hold scopes
    /// of their own meanwhile, so "back on" is asserted only when none is open.)
    /// </summary>
    [Fact]
    public void NativeKernelScopesTurnACappedOneDnnOffAndBackOn()
    {
        var before = Aperture.Core.OneDnnCheck.NativeKernelsState();
        bool capped = Aperture.Core.OneDnnCheck.InstructionSetCap is not null && !Aperture.Core.OneDnnCheck.Disabled;
        using (Aperture.Core.OneDnnCheck.NativeKernelsWhereCapped())
        using (Aperture.Core.OneDnnCheck.NativeKernelsWhereCapped())
        {
            var inside = Aperture.Core.OneDnnCheck.NativeKernelsState();
            if (capped) Assert.False(inside.OneDnnOn, "oneDNN stayed on inside a scope");
            else Assert.Equal(before.OneDnnOn, inside.OneDnnOn);
        }
        var after = Aperture.Core.OneDnnCheck.NativeKernelsState();
        if (capped && after.OpenScopes == 0) Assert.True(after.OneDnnOn, "oneDNN stayed off after the last scope ended");
        if (!capped) Assert.Equal(0, after.OpenScopes);
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledNnpack(IntPtr context);
}
