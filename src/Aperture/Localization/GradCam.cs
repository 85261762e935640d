using Aperture.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace Aperture.Localization;

/// <summary>
/// Grad-CAM (Selvaraju et al., "Grad-CAM: visual explanations from deep networks via gradient-based localization",
/// ICCV 2017): for any conv net and any of its layers with maps A_k, weights α_k = mean over positions of ∂y_c/∂A_k,
/// and the map relu(Σ_k α_k A_k). On a GAP network at its last conv layer α_k = w_{c,k} / (h·w), so Grad-CAM is
/// the class activation map, rectified and divided by h·w.
/// </summary>
public static class GradCam
{
    /// <summary>
    /// Grad-CAM maps of a batch at the output of layer <paramref name="layer"/>. The layer must be called through
    /// <c>call()</c> during the model's forward (as <see cref="TorchSharp.Modules.Sequential"/> and Aperture's
    /// classifiers do). Batch norm and dropout run in inference mode; the model's mode is restored afterwards.
    /// </summary>
    /// <param name="model">The classifier: <c>[N, C, H, W]</c> to logits <c>[N, K]</c>.</param>
    /// <param name="layer">A leaf name (see <see cref="NetworkLayers.Leaves"/>) or dotted module path.</param>
    /// <param name="input">Network input <c>[N, C, H, W]</c> float.</param>
    /// <param name="classes">The class per image <c>[N]</c> int64, or null for each image's top class.</param>
    /// <returns>Maps <c>[N, h, w]</c> float, ≥ 0, at the layer's resolution, and the classes used <c>[N]</c>.</returns>
    /// <exception cref="ArgumentException">Unknown layer (the message lists the valid ones), a class out of range, or a layer not reached by the forward pass.</exception>
    public static (Tensor Maps, Tensor Classes) Compute(nn.Module<Tensor, Tensor> model, string layer, Tensor input, Tensor? classes = null)
    {
        var layers = NetworkLayers.Leaves(model);
        var target = layers[NetworkLayers.IndexOf(layers, layer)].Module as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"layer '{layer}' is not a tensor-to-tensor module");
        if (input.dim() != 4 || !input.is_floating_point())
            throw new ArgumentException($"network input must be float [N, C, H, W], got {input.dtype} [{string.Join(", ", input.shape)}]");
        bool wasTraining = model.training;
        Tensor? captured = null;
        model.eval();
        var hook = target.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            captured = output.alias().DetachFromDisposeScope(); // survives the model's own dispose scopes
            return output;
        });
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var logits = model.call(input.detach().requires_grad_(false));
            if (captured is null) throw new ArgumentException($"layer '{layer}' was not called by {model.GetName()}'s forward pass (it must be invoked with call())");
            long k = logits.shape[1];
            var cls = classes is null ? logits.argmax(1) : classes.to(ScalarType.Int64).to(logits.device);
            if (cls.dim() != 1 || cls.shape[0] != input.shape[0]) throw new ArgumentException($"classes must be [N] = [{input.shape[0]}]");
            if (cls.numel() > 0 && (cls.min().item<long>() < 0 || cls.max().item<long>() >= k))
                throw new ArgumentException($"class {(cls.min().item<long>() < 0 ? cls.min().item<long>() : cls.max().item<long>())} does not exist; valid classes: 0 … {k - 1}");
            var score = logits.gather(1, cls.unsqueeze(1)).sum();
            var g = autograd.grad(new[] { score }, new[] { captured })[0]; // [N, K, h, w]
            if (g.dim() != 4) throw new ArgumentException($"layer '{layer}' gives [{string.Join(", ", g.shape)}], not feature maps [N, K, h, w]");
            var alpha = g.mean(new long[] { 2, 3 }, keepdim: true);
            var maps = nn.functional.relu((alpha * captured.detach()).sum(1));
            return (maps.MoveToOuterDisposeScope(), cls.MoveToOuterDisposeScope());
        }
        finally
        {
            hook.remove();
            captured?.Dispose();
            model.train(wasTraining);
        }
    }
}
