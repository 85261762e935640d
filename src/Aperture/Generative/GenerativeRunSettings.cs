using Aperture.Core;

namespace Aperture.Generative;

/// <summary>
/// What every generative or feature-learning training verb is asked (<c>aperture train gan</c>, <c>train autoencoder</c>,
/// <c>train context-encoder</c>): the method, the run folder, the seed, epochs, <c>--set</c> changes to its options,
/// <c>--resume</c>, a training-set limit and how progress is shown. Each family's settings add their own.
/// </summary>
public abstract record GenerativeRunSettings
{
    /// <summary>Method name in the family's registry.</summary>
    public required string Model { get; init; }

    /// <summary>Run folder: checkpoints, metrics, figures and <c>results.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of initialisation, noise, order and figures.</summary>
    public long Seed { get; init; }

    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Changes to the method's options, <c>name=value</c> (snake_case names).</summary>
    public IReadOnlyList<string> Set { get; init; } = [];

    /// <summary>Continue from the run folder's last checkpoint (every network and optimizer), with the options stored
    /// in it and <see cref="Set"/>'s changes on top (<see cref="ResumedOptions"/>).</summary>
    public bool Resume { get; init; }

    /// <summary>Train on at most this many images (0: all).</summary>
    public int Limit { get; init; }

    /// <summary>How training shows progress.</summary>
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;

    /// <summary>Where progress lines and warnings go (null: the console).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Write TensorBoard event files.</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Steps between metric reads and NaN checks.</summary>
    public int LogEvery { get; init; } = 50;
}
