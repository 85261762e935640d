using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Aperture.Classification;

/// <summary>
/// LeNet-5 (LeCun, Bottou, Bengio &amp; Haffner, "Gradient-based learning applied to document
/// recognition", Proc. IEEE 1998): C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, output K.
/// </summary>
/// <remarks>
/// Deliberate differences from the paper, as is usual today: ReLU instead of the scaled tanh,
/// max pooling instead of trainable sub-sampling, C3 connected to all six S2 maps (not the sparse
/// table), and a linear layer with softmax cross-entropy instead of the RBF output. A 28x28 input is
/// zero-padded by 2 in C1, which gives the paper's 32x32 geometry (C5 sees 16@5x5).
/// </remarks>
public sealed class LeNet5 : Module<Tensor, Tensor>
{
    // Declared in forward order: layer-walking tools (receptive fields, deconvnet) read the registration order.
    // The ReLU and pooling modules hold no parameters, so the parameter names stay c1, c3, c5, f6, output.
    private readonly Conv2d c1;
    private readonly ReLU relu1;
    private readonly MaxPool2d s2;
    private readonly Conv2d c3;
    private readonly ReLU relu3;
    private readonly MaxPool2d s4;
    private readonly Linear c5, f6, output;

    /// <summary>Creates LeNet-5 for <c>[N, inChannels, 28, 28]</c> (or 32x32 with <paramref name="inputSize"/> 32) inputs.</summary>
    /// <param name="numClasses">K, the number of classes.</param>
    /// <param name="inChannels">Input channels (1 for Fashion-MNIST).</param>
    /// <param name="inputSize">Input side, 28 (padded to 32 inside C1) or 32.</param>
    public LeNet5(int numClasses = 10, int inChannels = 1, int inputSize = 28) : base(nameof(LeNet5))
    {
        if (inputSize != 28 && inputSize != 32)
            throw new ArgumentException($"LeNet-5 takes 28x28 or 32x32 inputs, not {inputSize}x{inputSize}", nameof(inputSize));
        c1 = Conv2d(inChannels, 6, 5, padding: inputSize == 28 ? 2 : 0);
        relu1 = ReLU();
        s2 = MaxPool2d(2);
        c3 = Conv2d(6, 16, 5);
        relu3 = ReLU();
        s4 = MaxPool2d(2);
        c5 = Linear(16 * 5 * 5, 120);
        f6 = Linear(120, 84);
        output = Linear(84, numClasses);
        RegisterComponents();
    }

    /// <summary>
    /// The convolutional part in forward order, by name: c1, relu1, s2 (2x2 max pooling), c3, relu3, s4.
    /// Maps <c>[N, C, 28, 28]</c> to <c>[N, 16, 5, 5]</c>.
    /// </summary>
    public IReadOnlyList<(string Name, Module<Tensor, Tensor> Layer)> Features =>
        new (string, Module<Tensor, Tensor>)[] { ("c1", c1), ("relu1", relu1), ("s2", s2), ("c3", c3), ("relu3", relu3), ("s4", s4) };

    /// <summary>Class scores (logits) <c>[N, K]</c> for images <c>[N, C, 28, 28]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // call() (not forward()) so forward hooks on the layers fire (Grad-CAM uses them).
        var h2 = s2.call(relu1.call(c1.call(x)));
        var h4 = s4.call(relu3.call(c3.call(h2)));
        var h = functional.relu(c5.forward(h4.flatten(1)));
        h = functional.relu(f6.forward(h));
        return output.forward(h).MoveToOuterDisposeScope();
    }
}
