using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>Selective search (Uijlings et al. 2013) as a proposal source: <see cref="SelectiveSearch.Propose(Tensor, SelectiveSearchMode, int, long, int)"/>.</summary>
/// <param name="Mode">Single, fast or quality.</param>
/// <param name="MaxBoxes">Most boxes per image.</param>
/// <param name="Seed">Seed of the random ranking.</param>
/// <param name="Threads">Strategies run in parallel on this many threads (1 when images are proposed in parallel).</param>
public sealed record SelectiveSearchProposals(SelectiveSearchMode Mode = SelectiveSearchMode.Fast, int MaxBoxes = 2000, long Seed = 0, int Threads = 1) : IProposalSource
{
    /// <inheritdoc/>
    public string Name => $"ss-{Mode.ToString().ToLowerInvariant()}-{MaxBoxes}";

    /// <inheritdoc/>
    public Tensor Propose(Tensor image) => SelectiveSearch.Propose(image, Mode, MaxBoxes, Seed, Threads);

    /// <summary>Parses a mode name: <c>single</c>, <c>fast</c> or <c>quality</c>.</summary>
    public static SelectiveSearchMode ParseMode(string name) => name.Trim().ToLowerInvariant() switch
    {
        "single" => SelectiveSearchMode.Single,
        "fast" => SelectiveSearchMode.Fast,
        "quality" => SelectiveSearchMode.Quality,
        _ => throw new ArgumentException($"proposal mode '{name}' is not one of: single, fast, quality"),
    };
}
