using System.Text.Json.Nodes;

namespace Aperture.Core;

/// <summary>What a checkpoint file holds, read from its header (see <see cref="Checkpoint"/>).</summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Epoch">Number of completed epochs when it was written (1-based; 0 before any training).</param>
/// <param name="ModuleNames">Names of the module states it holds, e.g. <c>model</c>, or <c>generator</c> and <c>discriminator</c>.</param>
/// <param name="OptimizerNames">Names of the optimizer states it holds.</param>
/// <param name="Metadata">Free JSON written by the caller (the trainer stores its metrics history and best value here).</param>
public sealed record CheckpointInfo(
    string Path,
    int Epoch,
    IReadOnlyList<string> ModuleNames,
    IReadOnlyList<string> OptimizerNames,
    JsonObject Metadata);
