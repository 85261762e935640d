using Aperture.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Aperture.Visualization;

/// <summary>
/// The deconvolutional network of Zeiler &amp; Fergus ("Visualizing and understanding convolutional networks",
/// ECCV 2014), attached to a trained conv net: run the image forward recording each max-pooling layer's switches,
/// keep one activation of a chosen layer and zero all others, then map it back to pixels by reversing each layer —
/// unpool with the switches, rectify, transposed convolution with the same filters — down to the input.
/// </summary>
/// <remarks>
/// Works on the convolutional part of any network that <see cref="NetworkLayers.ConvolutionalPart"/> can walk
/// (LeNet-5's c1 … s4, VGG-GAP's conv1_1 … relu3_2, any <see cref="Sequential"/> of such layers).
/// Batch normalisation runs in inference mode (running statistics) whatever the module's mode, and the
/// reverse path multiplies by its per-channel scale γ/√(σ² + ε) — the same as folding it into the preceding
/// convolution's filters. Biases and shifts are left out of the reverse path, as in the paper.
/// Average pooling is reversed by its adjoint (each value spread evenly over its window).
/// </remarks>
public sealed class Deconvnet
{
    private readonly IReadOnlyList<NamedLayer> _layers;

    /// <summary>Attaches to <paramref name="model"/> (no copy: later weight changes are seen).</summary>
    /// <exception cref="ArgumentException">The network's convolutional part holds a layer the reverse path cannot handle.</exception>
    public Deconvnet(nn.Module model)
    {
        _layers = NetworkLayers.ConvolutionalPart(model);
        foreach (var l in _layers)
        {
            if (l.Module is Conv2d c && (c.groups != 1 || c.padding is null || c.padding_mode != PaddingModes.Zeros))
                throw new ArgumentException($"layer '{l.Name}': the deconvnet handles zero-padded convolutions with one group and numeric padding");
            if (l.Module is MaxPool2d m && m.ceil_mode) throw new ArgumentException($"layer '{l.Name}': max pooling in ceil mode is not supported");
            if (l.Module is AvgPool2d a && (a.ceil_mode || a.divisor_override.HasValue))
                throw new ArgumentException($"layer '{l.Name}': average pooling in ceil mode or with a divisor override is not supported");
        }
    }

    /// <summary>The layers it reverses, first to last.</summary>
    public IReadOnlyList<NamedLayer> Layers => _layers;

    /// <summary>The names of <see cref="Layers"/>, the valid values of a layer argument.</summary>
    public IReadOnlyList<string> LayerNames => _layers.Select(l => l.Name).ToList();

    /// <summary>
    /// The activations of <paramref name="layer"/> (its output) for a batch, without gradients, batch norm in inference mode.
    /// </summary>
    /// <param name="input">Network input <c>[N, C, H, W]</c>, float, prepared as for the network (normalised).</param>
    /// <param name="layer">A name from <see cref="LayerNames"/>.</param>
    /// <returns><c>[N, K, h, w]</c> float.</returns>
    /// <exception cref="ArgumentException">Unknown layer (the message lists the valid ones).</exception>
    public Tensor Activations(Tensor input, string layer)
    {
        int last = NetworkLayers.IndexOf(_layers, layer);
        CheckInput(input);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = input;
        for (int i = 0; i <= last; i++) x = Forward(_layers[i], x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reconstructs, for each image of a batch, one activation of feature map <paramref name="channel"/> of
    /// <paramref name="layer"/> in pixel space. All other activations of that layer are set to zero.
    /// </summary>
    /// <param name="input">Network input <c>[N, C, H, W]</c>, float, prepared as for the network.</param>
    /// <param name="layer">A name from <see cref="LayerNames"/>.</param>
    /// <param name="channel">The feature map, 0 ≤ channel &lt; K.</param>
    /// <param name="positions">Per image the (row, col) of the activation to keep; null keeps each image's strongest activation of the map.</param>
    /// <param name="path">Deconvnet (the paper), guided backpropagation, or the plain gradient.</param>
    /// <returns>The reconstructions <c>[N, C, H, W]</c> with the kept activations and their positions.</returns>
    /// <exception cref="ArgumentException">Unknown layer, channel out of range, or a position off the map.</exception>
    public DeconvReconstruction Reconstruct(Tensor input, string layer, int channel,
        IReadOnlyList<(int Row, int Col)>? positions = null, ReversePath path = ReversePath.Deconvnet)
    {
        int last = NetworkLayers.IndexOf(_layers, layer);
        CheckInput(input);
        int n = (int)input.shape[0];
        if (positions is not null && positions.Count != n)
            throw new ArgumentException($"{positions.Count} positions for {n} images: give one (row, col) per image");
        using var scope = NewDisposeScope();
        using var _ = no_grad();

        // Forward, remembering what each layer's reversal needs.
        var inputs = new Tensor[last + 1];
        var switches = new Tensor?[last + 1];
        var x = input;
        for (int i = 0; i <= last; i++)
        {
            inputs[i] = x;
            if (_layers[i].Module is MaxPool2d m)
            {
                (x, switches[i]) = F.max_pool2d_with_indices(x, m.kernel_size, m.stride ?? m.kernel_size, m.padding, m.dilation);
            }
            else x = Forward(_layers[i], x);
        }
        long k = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (channel < 0 || channel >= k)
            throw new ArgumentException($"layer '{layer}' has feature maps 0 … {k - 1}; channel {channel} does not exist");

        // Keep one activation per image.
        var map = x[.., channel].reshape(n, h * w);
        Tensor flat;
        if (positions is null) flat = map.argmax(1);
        else
        {
            foreach (var (r, c) in positions)
                if (r < 0 || r >= h || c < 0 || c >= w)
                    throw new ArgumentException($"position ({r}, {c}) lies off the {h}x{w} maps of layer '{layer}'");
            flat = tensor(positions.Select(p => (long)p.Row * w + p.Col).ToArray(), device: input.device);
        }
        var values = map.gather(1, flat.unsqueeze(1)).squeeze(1);
        var signal = zeros_like(x);
        signal[.., channel].view(n, h * w).scatter_(1, flat.unsqueeze(1), values.unsqueeze(1));

        // Reverse path down to pixels.
        for (int i = last; i >= 0; i--)
            signal = Reverse(_layers[i], signal, inputs[i], switches[i], path);

        long[] flatPos = flat.cpu().data<long>().ToArray();
        var result = new DeconvReconstruction(signal.MoveToOuterDisposeScope(), values.cpu().to_type(ScalarType.Float32).data<float>().ToArray(),
            flatPos.Select(f => ((int)(f / w), (int)(f % w))).ToArray());
        return result;
    }

    /// <summary>One layer forward: batch norm in inference mode, ReLU out of place, the rest as the module does it.</summary>
    private static Tensor Forward(NamedLayer layer, Tensor x) => layer.Module switch
    {
        BatchNorm2d bn => F.batch_norm(x, bn.running_mean ?? throw NoStats(layer), bn.running_var ?? throw NoStats(layer), bn.weight, bn.bias, false, 0, bn.eps),
        ReLU => F.relu(x),
        MaxPool2d m => F.max_pool2d(x, m.kernel_size, m.stride ?? m.kernel_size, m.padding, m.dilation),
        _ when layer.Kind == LayerKind.PassThrough => x,
        nn.Module<Tensor, Tensor> module => module.forward(x),
        _ => throw new ArgumentException($"layer '{layer.Name}' ({layer.Module.GetType().Name}) is not a tensor-to-tensor layer"),
    };

    private static ArgumentException NoStats(NamedLayer layer) =>
        new($"batch norm '{layer.Name}' keeps no running statistics, so it has no inference-mode form to reverse");

    /// <summary>One layer backward along the chosen path: <paramref name="input"/> is what the layer received in the forward pass.</summary>
    private static Tensor Reverse(NamedLayer layer, Tensor signal, Tensor input, Tensor? switches, ReversePath path) => layer.Module switch
    {
        Conv2d conv => TransposeConv(signal, conv, input.shape),
        MaxPool2d => Unpool(signal, switches!, input.shape),
        AvgPool2d a => AvgPoolAdjoint(signal, a, input),
        ReLU => path switch
        {
            ReversePath.Deconvnet => F.relu(signal),
            ReversePath.GuidedBackpropagation => F.relu(signal) * input.gt(0),
            _ => signal * input.gt(0),
        },
        BatchNorm2d bn => signal * (bn.weight is null ? ones(1, device: signal.device) : bn.weight).div((bn.running_var! + bn.eps).sqrt()).view(1, -1, 1, 1),
        _ => signal,
    };

    /// <summary>
    /// The adjoint of <paramref name="conv"/>'s linear part: transposed convolution with the same filters, stride,
    /// padding and dilation, and the output padding that restores the forward input's size <paramref name="inputShape"/>.
    /// </summary>
    /// <param name="signal"><c>[N, O, h, w]</c>, the conv's output grid.</param>
    /// <param name="conv">The forward convolution.</param>
    /// <param name="inputShape">The forward input's shape <c>[N, I, H, W]</c>.</param>
    internal static Tensor TransposeConv(Tensor signal, Conv2d conv, long[] inputShape)
    {
        var pad = conv.padding!;
        var outPad = new long[2];
        for (int a = 0; a < 2; a++)
        {
            long full = (signal.shape[2 + a] - 1) * conv.stride[a] - 2 * pad[a] + conv.dilation[a] * (conv.kernel_size[a] - 1) + 1;
            outPad[a] = inputShape[2 + a] - full;
        }
        return F.conv_transpose2d(signal, conv.weight, null, conv.stride, pad, outPad, conv.dilation, conv.groups);
    }

    /// <summary>
    /// Unpooling with switches: each value of <paramref name="signal"/> <c>[N, C, h, w]</c> goes to the input position
    /// its window's maximum came from (the flat index into H·W that max_pool2d_with_indices recorded); everything else
    /// is zero. Values whose windows share a switch (overlapping pooling) are added.
    /// </summary>
    /// <returns><c>[N, C, H, W]</c> with <paramref name="inputShape"/>.</returns>
    internal static Tensor Unpool(Tensor signal, Tensor switches, long[] inputShape)
    {
        long n = signal.shape[0], c = signal.shape[1];
        var flat = zeros(new[] { n, c, inputShape[2] * inputShape[3] }, signal.dtype, signal.device);
        flat.scatter_add_(2, switches.reshape(n, c, -1), signal.reshape(n, c, -1));
        return flat.view(inputShape);
    }

    private static Tensor AvgPoolAdjoint(Tensor signal, AvgPool2d pool, Tensor input)
    {
        using var _ = enable_grad();
        var x = input.detach().requires_grad_();
        var y = pool.forward(x);
        return autograd.grad(new[] { y }, new[] { x }, new[] { signal })[0];
    }

    private static void CheckInput(Tensor input)
    {
        if (input.dim() != 4 || !input.is_floating_point())
            throw new ArgumentException($"network input must be float [N, C, H, W], got {input.dtype} [{string.Join(", ", input.shape)}]");
    }
}

/// <summary>What <see cref="Deconvnet.Reconstruct"/> returns.</summary>
/// <param name="Pixels">The reconstructions in input space, <c>[N, C, H, W]</c> float (signed; normalise each to show it).</param>
/// <param name="Values">The activation kept, per image.</param>
/// <param name="Positions">Its (row, col) in the layer's map, per image.</param>
public sealed record DeconvReconstruction(Tensor Pixels, float[] Values, (int Row, int Col)[] Positions) : IDisposable
{
    /// <summary>Disposes <see cref="Pixels"/>.</summary>
    public void Dispose() => Pixels.Dispose();
}
