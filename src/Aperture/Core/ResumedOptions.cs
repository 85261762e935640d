namespace Aperture.Core;

/// <summary>
/// The options a resumed run starts from: those stored in its last checkpoint's card (batch size, widths, stabilisers,
/// a detector's warp or SVM settings), not today's defaults. Callers apply <c>--set</c> on top, so a resumed run can
/// change an option and keep the rest as it was trained; the trainer then writes the changed card into the run's
/// checkpoints (<see cref="Aperture.Training.Trainer{TBatch}"/>).
/// </summary>
public static class ResumedOptions
{
    /// <summary>The options saved in <c>folder/checkpoints/last.ckpt</c>, or null when <c>--resume</c> was not given or
    /// there is nothing to resume from (the trainer then names the missing checkpoint).</summary>
    /// <param name="folder">The run folder.</param>
    /// <param name="resume">Whether <c>--resume</c> was given.</param>
    /// <param name="family">The family the checkpoint must be of.</param>
    /// <param name="method">The method it must hold.</param>
    /// <param name="type">The options record type.</param>
    /// <param name="flag">The command-line flag that names the method (<c>--model</c>, <c>--method</c>).</param>
    /// <exception cref="ArgumentException">The checkpoint holds another method (the message names the flag to use).</exception>
    /// <exception cref="InvalidDataException">Another family, a damaged file, or settings that do not fit the type.</exception>
    public static object? From(string folder, bool resume, string family, string method, Type type, string flag = "--model")
    {
        string last = Path.Combine(folder, "checkpoints", "last.ckpt");
        if (!resume || !File.Exists(last)) return null;
        var saved = ModelCard.Expect(last, family);
        if (saved.Method != method)
            throw new ArgumentException($"--resume: {last} holds a {saved.Method} run, not {method}; use {flag} {saved.Method}");
        var options = saved.SettingsAs(type);
        (options as IValidatable)?.Validate();
        return options;
    }
}
