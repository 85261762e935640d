namespace Aperture.Core.Weights;

/// <summary>What <see cref="WeightLoader"/> did: which model tensors it filled and which names did not match.</summary>
/// <param name="File">The weights file.</param>
/// <param name="Loaded">Model tensor names filled from the file.</param>
/// <param name="Missing">Model tensor names the file (after the name map) does not hold; they keep their values.</param>
/// <param name="Unexpected">File tensor names (after the name map) the model does not have; ignored.</param>
/// <param name="Dropped">File tensor names the name map dropped.</param>
public sealed record WeightsLoadReport(string File, IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected, IReadOnlyList<string> Dropped);
