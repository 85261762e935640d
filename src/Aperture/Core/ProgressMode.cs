namespace Aperture.Core;

/// <summary>How the trainer reports progress on the console.</summary>
public enum ProgressMode
{
    /// <summary>A progress bar when stdout is a terminal, plain lines when it is redirected.</summary>
    Auto,
    /// <summary>A Spectre.Console progress bar (epoch progress, loss, images/s).</summary>
    Bar,
    /// <summary>One line per epoch and an occasional step line.</summary>
    Lines,
    /// <summary>Nothing on the console (for <c>--json</c>); files are still written.</summary>
    Quiet,
}
