using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// Identity initialisation of a convolution (Yu &amp; Koltun 2016, the context module's k(t, a) = 1[t = 0] 1[a = b]):
/// the centre tap of channel c → c is 1, every other weight and the bias 0, so the layer passes its input through.
/// </summary>
public static class IdentityInit
{
    /// <summary>
    /// Sets <paramref name="conv"/> (C → C channels, odd square kernel, one group, 'same' padding) to the identity.
    /// </summary>
    /// <exception cref="ArgumentException">Channels differ, or the kernel is even or not square.</exception>
    public static void Apply(Conv2d conv)
    {
        var w = conv.weight ?? throw new ArgumentException("the convolution has no weight");
        long cout = w.shape[0], cin = w.shape[1], kh = w.shape[2], kw = w.shape[3];
        if (cout != cin || conv.groups != 1) throw new ArgumentException($"identity initialisation needs as many input as output channels, got {cin} -> {cout}");
        if (kh != kw || kh % 2 == 0) throw new ArgumentException($"identity initialisation needs an odd square kernel, got {kh}x{kw}");
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            w.zero_();
            for (long c = 0; c < cout; c++) w[c, c, kh / 2, kw / 2].fill_(1);
            conv.bias?.zero_();
        }
    }
}
