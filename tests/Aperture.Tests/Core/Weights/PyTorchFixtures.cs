namespace Aperture.Tests.Core.Weights;

/// <summary>The files <c>bench/peers/lenet5_weights.py</c> wrote with PyTorch 1.13 (committed under <c>data/pytorch/</c>).</summary>
internal static class PyTorchFixtures
{
    /// <summary>The fixture called <paramref name="name"/>: <c>lenet5.pt</c>, <c>lenet5_seq.safetensors</c>, <c>lenet5_seq.map</c> or <c>io.safetensors</c>.</summary>
    public static string File(string name) => Path.Combine(AppContext.BaseDirectory, "data", "pytorch", name);
}
