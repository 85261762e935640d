namespace Aperture.Generative.Gan;

/// <summary>The generator's loss in the two-player game (Goodfellow et al. 2014, section 3).</summary>
public enum GanLossKind
{
    /// <summary>Maximise log D(G(z)), i.e. minimise <c>-log D(G(z))</c>: the paper's practical choice, with strong
    /// gradients early on when the discriminator rejects every sample. The default.</summary>
    NonSaturating,

    /// <summary>Minimise <c>log(1 - D(G(z)))</c>, the value function of the minimax game as written. Its gradient
    /// vanishes when D rejects the samples confidently, so it learns slowly or not at all at the start; kept to show why.</summary>
    Minimax,
}
