using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Aperture.Training;

/// <summary>
/// SGD, Adam and AdamW with TorchSharp's own state, options, schedulers and checkpoints, whose <c>step</c> holds every
/// <see cref="Scalar"/> it passes to libtorch until the call has returned.
/// </summary>
/// <remarks>
/// TorchSharp's optimizers (0.107) turn doubles into <see cref="Scalar"/>s implicitly (<c>exp_avg.mul_(beta1)</c>) and
/// keep no reference to them once the native call has started. The JIT then treats the temporary as dead; a garbage
/// collection started by another thread during that call lets the finalizer thread free the native scalar that libtorch
/// is still reading, and the step fails with <c>Scalar::toFloat</c>'s overflow check ("Expected false to be true") or
/// an internal assert — seen in a parallel test run, and counted by the benchmark (<c>Aperture.Bench optimizer-scalars</c>),
/// which steps while another thread collects. The updates here are TorchSharp's (and PyTorch's, without
/// <c>amsgrad</c> or <c>maximize</c>) with every scalar held in a <c>using</c> variable, disposed only after the calls
/// that read it, which keeps it alive. The same race exists in any TorchSharp call given an implicit scalar; the optimizer is where it
/// is hit most (seven scalars per parameter per step).
/// </remarks>
public static class ScalarSafeOptimizers
{
    /// <summary>SGD with momentum (PyTorch's form: <c>buf = momentum·buf + (1 − dampening)·g</c>) and optional Nesterov.</summary>
    public static SGD Sgd(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double weightDecay = 0, bool nesterov = false) =>
        new SafeSgd(parameters, lr, momentum, weightDecay, nesterov);

    /// <summary>Adam (Kingma and Ba 2015) with L2 weight decay added to the gradient.</summary>
    public static Adam Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double weightDecay = 0) =>
        new SafeAdam(parameters, lr, beta1, beta2, weightDecay);

    /// <summary>AdamW (Loshchilov and Hutter 2019): weight decay applied to the weights, decoupled from the gradient.</summary>
    public static AdamW AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double weightDecay = 0.01) =>
        new SafeAdamW(parameters, lr, beta1, beta2, weightDecay);

    private sealed class SafeSgd(IEnumerable<Parameter> parameters, double lr, double momentum, double weightDecay, bool nesterov)
        : SGD(parameters, lr, momentum, weight_decay: weightDecay, nesterov: nesterov)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var o = group.Options;
            double mu = o.momentum!.Value;
            using Scalar decay = o.weight_decay!.Value, momentumScalar = mu, keep = 1 - o.dampening!.Value, rate = -o.LearningRate!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                if (o.weight_decay.Value != 0) grad = grad.add(param, decay);
                if (mu != 0)
                {
                    var state = (State)_state[param.Handle];
                    if (state.momentum_buffer is null) state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                    else state.momentum_buffer.mul_(momentumScalar).add_(grad, keep);
                    grad = o.nesterov!.Value ? grad.add(state.momentum_buffer, momentumScalar) : state.momentum_buffer;
                }
                param.add_(grad, rate);
            }
        }, closure);
    }

    private sealed class SafeAdam(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double weightDecay)
        : Adam(parameters, lr, beta1, beta2, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var o = (Options)group.Options;
            using Scalar decay = o.weight_decay!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                if (o.weight_decay.Value != 0) grad = grad.add(param, decay);
                var state = (State)_state[param.Handle];
                AdamUpdate(param, grad, state.exp_avg, state.exp_avg_sq, ++state.step, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.LearningRate!.Value);
            }
        }, closure);
    }

    private sealed class SafeAdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double weightDecay)
        : AdamW(parameters, lr, beta1, beta2, weight_decay: weightDecay)
    {
        public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
        {
            var o = (Options)group.Options;
            using Scalar shrink = 1 - o.LearningRate!.Value * o.weight_decay!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                param.mul_(shrink);
                AdamUpdate(param, grad, state.exp_avg, state.exp_avg_sq, ++state.step, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.LearningRate.Value);
            }
        }, closure);
    }

    /// <summary>Adam's moment update and bias-corrected step of <paramref name="param"/> (shared by Adam and AdamW, whose
    /// states are distinct classes with the same fields).</summary>
    private static void AdamUpdate(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, long step, double beta1, double beta2, double eps, double lr)
    {
        double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
        using Scalar b1 = beta1, b2 = beta2, g1 = 1 - beta1, g2 = 1 - beta2, epsilon = eps,
            sqrtCorrection2 = Math.Sqrt(correction2), stepSize = -lr / correction1, one = 1;
        expAvg.mul_(b1).add_(grad, g1);
        expAvgSq.mul_(b2).addcmul_(grad, grad, g2);
        var denom = expAvgSq.sqrt().div_(sqrtCorrection2).add_(epsilon, one); // add_(epsilon) alone would make its alpha = 1 implicitly
        param.addcdiv_(expAvg, denom, stepSize);
    }
}
