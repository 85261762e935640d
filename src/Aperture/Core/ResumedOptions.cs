namespace Aperture.Core;

/// <summary>
/// The options a resumed run continues with: those stored in its last checkpoint's card (batch size, widths,
/// stabilisers), not today's defaults, when <c>--resume</c> is given without <c>--set</c>.
/// </summary>
public static class ResumedOptions
{
    /// <summary>The options saved in <c>folder/checkpoints/last.ckpt</c>, or null when there is nothing to resume from
    /// or the caller changed options with <c>--set</c>.</summary>
    /// <param name="folder">The run folder.</param>
    /// <param name="resume">Whether <c>--resume</c> was given.</param>
    /// <param name="changed">Whether <c>--set</c> changed options (then the caller's options win).</param>
    /// <param name="family">The family the checkpoint must be of.</param>
    /// <param name="method">The method it must hold.</param>
    /// <param name="type">The options record type.</param>
    /// <exception cref="ArgumentException">The checkpoint holds another method (the message names the <c>--model</c> to use).</exception>
    /// <exception cref="InvalidDataException">Another family, a damaged file, or settings that do not fit the type.</exception>
    public static object? From(string folder, bool resume, bool changed, string family, string method, Type type)
    {
        string last = Path.Combine(folder, "checkpoints", "last.ckpt");
        if (!resume || changed || !File.Exists(last)) return null;
        var saved = ModelCard.Expect(last, family);
        if (saved.Method != method)
            throw new ArgumentException($"--resume: {last} holds a {saved.Method} run, not {method}; use --model {saved.Method}");
        var options = saved.SettingsAs(type);
        (options as IValidatable)?.Validate();
        return options;
    }
}
