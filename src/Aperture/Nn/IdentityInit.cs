using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// Identity initialisation of a convolution (Yu &amp; Koltun 2016). Between equal widths (their Eq. 4,
/// k(t, a) = 1[t = 0] 1[a = b]) the centre tap of channel c → c is 1, every other weight and the bias 0, so the layer
/// passes its input through. Between widths c_in → c_out around a base width C (their Eq. 5, the large context module):
/// k_b(t, a) = C / c_out where t = 0 and ⌊aC / c_in⌋ = ⌊bC / c_out⌋, else 0 — each of the C base channels fans out into
/// c_out / C equal copies that sum back to it — plus noise ε ~ N(0, σ²), σ ≪ C / c_out, so the copies can differ.
/// </summary>
public static class IdentityInit
{
    /// <summary>
    /// Sets <paramref name="conv"/> (C → C channels, odd square kernel, one group, 'same' padding) to the identity.
    /// </summary>
    /// <exception cref="ArgumentException">Channels differ, or the kernel is even or not square.</exception>
    public static void Apply(Conv2d conv)
    {
        long cin = (conv.weight ?? throw new ArgumentException("the convolution has no weight")).shape[1];
        if (conv.weight.shape[0] != cin) throw new ArgumentException($"identity initialisation needs as many input as output channels, got {cin} -> {conv.weight.shape[0]}");
        Apply(conv, (int)cin);
    }

    /// <summary>
    /// Sets <paramref name="conv"/> (c_in → c_out channels, both multiples of <paramref name="baseChannels"/>, odd square
    /// kernel, one group, 'same' padding) to the paper's Eq. 5 with noise of standard deviation
    /// <paramref name="noise"/> (drawn from torch's global generator); the bias is 0.
    /// </summary>
    /// <exception cref="ArgumentException">A width is not a multiple of C, the kernel is even or not square, or the layer is grouped.</exception>
    public static void Apply(Conv2d conv, int baseChannels, double noise = 0)
    {
        var w = conv.weight ?? throw new ArgumentException("the convolution has no weight");
        long cout = w.shape[0], cin = w.shape[1], kh = w.shape[2], kw = w.shape[3];
        if (conv.groups != 1 || baseChannels < 1 || cin % baseChannels != 0 || cout % baseChannels != 0)
            throw new ArgumentException($"identity initialisation needs widths that are multiples of {baseChannels} and one group, got {cin} -> {cout}");
        if (kh != kw || kh % 2 == 0) throw new ArgumentException($"identity initialisation needs an odd square kernel, got {kh}x{kw}");
        var k = new float[cout * cin * kh * kw];
        float value = (float)baseChannels / cout;
        for (long b = 0; b < cout; b++)
            for (long a = 0; a < cin; a++)
                if (a * baseChannels / cin == b * baseChannels / cout)
                    k[((b * cin + a) * kh + kh / 2) * kw + kw / 2] = value;
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var init = tensor(k, w.shape).to(w.dtype).to(w.device);
            if (noise > 0) init = init.add(randn_like(init).mul(noise));
            w.copy_(init);
            conv.bias?.zero_();
        }
    }
}
