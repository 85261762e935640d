namespace Aperture.Core;

/// <summary>How much work a run is given: the CLI's default, the full report's, or the quick report's glimpse.</summary>
public enum RunBudget
{
    /// <summary>What a training verb (<c>train detect</c>, <c>train segment</c>) does unless told otherwise.</summary>
    Default,

    /// <summary>The full report: under its 20-minute budget with the other chapters.</summary>
    Report,

    /// <summary>The quick report: a minute or so, a glimpse rather than a figure.</summary>
    Quick,
}
