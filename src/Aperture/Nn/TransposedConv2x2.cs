using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Nn;

/// <summary>
/// The 2x2, stride-2 transposed convolution: the U-Net's "up-convolution" (Ronneberger et al., MICCAI 2015), a case
/// of the backwards-strided convolution of Long et al. (CVPR 2015). With a kernel as large as its stride, every input
/// pixel writes its own 2x2 block of the output and the blocks do not overlap:
/// <c>y[n, co, 2i + a, 2j + b] = bias[co] + Σ_ci x[n, ci, i, j] · W[ci, co, a, b]</c>.
/// </summary>
/// <remarks>
/// So the layer is one matrix product, <c>Z = X W'</c> with <c>X = [N·h·w, Cin]</c> (the input read channels-last) and
/// <c>W' = [Cin, 4·Cout]</c> (the weight permuted to <c>[Cin, a, b, Cout]</c>), whose four column blocks are then moved
/// into the output's 2x2 blocks (depth to space), plus the bias. The forward pass is libtorch's own
/// <c>conv_transpose2d</c> (oneDNN's deconvolution, one pass: measured faster on this CPU than the product followed by
/// the copy and the bias); the backward pass, where libtorch is slower, is the product's: a space-to-depth copy of the
/// output gradient gives <c>dZ [N·h·w, 4·Cout]</c>, then <c>dX = dZ W'ᵀ</c>, <c>dW' = Xᵀ dZ</c> and <c>db = 1ᵀ dZ</c>
/// (summed over the four positions), all with libtorch's matrix products (<c>addmm_</c>, written in place). dZ is made
/// and used a few images at a time (about 1 MB), so each part is still in the cache when the products read it. The copy
/// is a permutation (every output element is exactly one element of Z), so these are the exact gradients of the
/// layer — the input gradient is its adjoint, the 2x2 stride-2 convolution of the output gradient with the same
/// weight — equal to libtorch's up to float summation order (tested, with a finite-difference check in float64).
/// Written as a custom autograd function, so autograd adds no copies of its own: one copy backward, and a gradient
/// only for the inputs that require one.
/// <para>
/// A channels-last input (<see cref="ChannelsLast"/>) is read in place by the weight gradient; any other input is
/// copied once to channels-last there. The output keeps the input's layout (libtorch's rule); the input gradient is
/// channels-last. Float32 and float64 on the CPU take this path; other types and devices, and calls that need no
/// gradient, are plain <c>conv_transpose2d</c>.
/// </para>
/// </remarks>
public static class TransposedConv2x2
{
    private static readonly long[] Stride = { 2, 2 };

    /// <summary>The size of the part of dZ made and used at once in the backward pass: well inside a core's L2 cache.</summary>
    private const long ChunkBytes = 1 << 20;

    /// <summary>
    /// The 2x2 stride-2 transposed convolution of <paramref name="x"/> <c>[N, Cin, h, w]</c> with
    /// <paramref name="weight"/> <c>[Cin, Cout, 2, 2]</c> (<c>ConvTranspose2d</c>'s layout) and an optional
    /// <paramref name="bias"/> <c>[Cout]</c>; returns <c>[N, Cout, 2h, 2w]</c>, differentiable in all three, equal to
    /// <c>conv_transpose2d(x, weight, bias, stride: 2)</c>.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        if (x.dim() != 4) throw new ArgumentException($"2x2 transposed convolution needs an [N, C, H, W] input, got shape [{string.Join(", ", x.shape)}]");
        if (weight.dim() != 4 || weight.shape[2] != 2 || weight.shape[3] != 2)
            throw new ArgumentException($"2x2 transposed convolution needs a [Cin, Cout, 2, 2] weight, got shape [{string.Join(", ", weight.shape)}]");
        if (weight.shape[0] != x.shape[1])
            throw new ArgumentException($"2x2 transposed convolution: the input has {x.shape[1]} channels but the weight expects {weight.shape[0]}");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[1]))
            throw new ArgumentException($"2x2 transposed convolution: the bias must be [{weight.shape[1]}], got shape [{string.Join(", ", bias.shape)}]");
        bool fast = x.dtype is ScalarType.Float32 or ScalarType.Float64 && x.device.type == DeviceType.CPU && x.numel() > 0
            && weight.dtype == x.dtype && weight.device.type == DeviceType.CPU
            && (bias is null || bias.dtype == x.dtype && bias.device.type == DeviceType.CPU);
        bool tracked = is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias is { requires_grad: true });
        if (!fast || !tracked) return nn.functional.conv_transpose2d(x, weight, bias, Stride);
        return bias is null ? Function.apply(x, weight) : Function.apply(x, weight, bias);
    }

    /// <summary>The weight <c>[Cin, Cout, 2, 2]</c> as the matrix <c>W' [Cin, 4·Cout]</c>, columns ordered (a, b, co).</summary>
    private static Tensor Columns(Tensor weight) =>
        weight.permute(0, 2, 3, 1).reshape(weight.shape[0], 4 * weight.shape[1]);

    /// <summary>The autograd function: inputs (x, weight[, bias]); saves the input and the weight for the backward pass.</summary>
    private sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "TransposedConv2x2Backward";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, weight) = ((Tensor)vars[0], (Tensor)vars[1]);
            var bias = vars.Length > 2 ? (Tensor)vars[2] : null;
            ctx.save_for_backward(new() { x, weight });
            ctx.save_data("needs", (X: x.requires_grad, W: weight.requires_grad, B: bias is { requires_grad: true }));
            return nn.functional.conv_transpose2d(x, weight, bias, Stride); // autograd is off inside forward
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables();
            var (x, weight) = (saved[0], saved[1]);
            var needs = ((bool X, bool W, bool B))ctx.get_data("needs");
            long n = x.shape[0], cin = x.shape[1], h = x.shape[2], w = x.shape[3], cout = weight.shape[1], pixels = h * w;
            // The gradient in blocks: [N, h, a, w, b, Cout], any strides (a concatenation's slice arrives as a view).
            var blocks = grad.permute(0, 2, 3, 1).view(n, h, 2, w, 2, cout);
            // dZ is made and used a few images at a time, so that each part stays in the cache between the copy and the
            // products that read it (one pass over the output gradient in memory instead of four).
            long images = Math.Clamp(ChunkBytes / (pixels * 4 * cout * grad.element_size()), 1, n);
            var dz = empty(new[] { images * pixels, 4 * cout }, grad.dtype);
            var wt = needs.X ? Columns(weight).t() : null;                               // W'ᵀ [4·Cout, Cin]
            var rows = needs.W ? x.permute(0, 2, 3, 1).reshape(n * pixels, cin) : null;   // X: a view of a channels-last input
            var dxRows = needs.X ? empty(new[] { n * pixels, cin }, grad.dtype) : null;   // dX, channels-last
            var dwCols = needs.W ? empty(new[] { cin, 4 * cout }, grad.dtype) : null;     // dW', columns (a, b, co)
            var dbCols = needs.B ? zeros(new[] { 1, 4 * cout }, grad.dtype) : null;      // db per (a, b, co)
            var ones1 = needs.B ? ones(new[] { 1, images * pixels }, grad.dtype) : null;
            for (long first = 0; first < n; first += images)
            {
                using var part = NewDisposeScope();
                long count = Math.Min(images, n - first), start = first * pixels, length = count * pixels;
                // Space to depth: dZ row (n, i, j), column (a, b, co) = dy[n, co, 2i + a, 2j + b].
                var dzPart = dz.narrow(0, 0, length);
                dzPart.view(count, h, w, 2, 2, cout).copy_(blocks.narrow(0, first, count).permute(0, 1, 3, 2, 4, 5));
                if (dxRows is not null) dxRows.narrow(0, start, length).addmm_(dzPart, wt!, 0, 1);
                if (dwCols is not null) dwCols.addmm_(rows!.narrow(0, start, length).t(), dzPart, first == 0 ? 0 : 1, 1);
                if (dbCols is not null) dbCols.addmm_(ones1!.narrow(1, 0, length), dzPart, 1, 1); // column sums: 1ᵀ dZ
            }
            var dx = dxRows?.view(n, h, w, cin).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
            var dw = dwCols?.view(cin, 2, 2, cout).permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
            var db = dbCols?.view(4, cout).sum(dim: 0L).MoveToOuterDisposeScope();
            return new() { dx!, dw!, db! };
        }
    }
}
