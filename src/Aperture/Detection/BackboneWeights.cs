using Aperture.Classification;
using Aperture.Core;
using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Pre-trained weights for the detectors' conv body (<see cref="Backbone"/>): the body of a trained
/// <see cref="BackboneGap"/> classifier — the supervised pre-training both R-CNN papers start from (there ImageNet,
/// here Fashion-MNIST items drawn as in the scenes). A detector built with them starts with exactly these values in
/// its <c>backbone.*</c> parameters and batch-norm statistics, then is fine-tuned for detection; its model card records
/// <see cref="Origin"/>. What torchvision calls <c>weights_backbone</c>.
/// </summary>
public sealed class BackboneWeights : IDisposable
{
    private const string Prefix = "backbone.";
    private readonly Dictionary<string, Tensor> _state;

    private BackboneWeights(Dictionary<string, Tensor> state, string origin, string checkpoint)
    {
        _state = state;
        Origin = origin;
        Checkpoint = checkpoint;
        Widths = [Width("_layers.conv1.weight"), Width("_layers.conv2.weight"), Width("_layers.conv3_1.weight")];
    }

    /// <summary>What the weights are, for model cards and results: the classifier and its checkpoint file.</summary>
    public string Origin { get; }

    /// <summary>The classifier checkpoint file they were read from (full path).</summary>
    public string Checkpoint { get; }

    /// <summary>The body's stage widths.</summary>
    public int[] Widths { get; }

    /// <summary>Parameter and buffer names of the body (as inside <see cref="Backbone"/>, e.g. <c>_layers.conv1.weight</c>).</summary>
    public IReadOnlyCollection<string> Names => _state.Keys;

    private int Width(string key) => _state.TryGetValue(key, out var t) && t.dim() == 4 ? (int)t.shape[0] : 0;

    /// <summary>
    /// Reads the body of a trained <see cref="BackboneGap"/> classifier (its run folder or a checkpoint).
    /// </summary>
    /// <exception cref="FileNotFoundException">No checkpoint there (the message names the path).</exception>
    /// <exception cref="InvalidDataException">Not a classifier, another classifier than <see cref="BackboneGap"/>, or its body is incomplete.</exception>
    public static BackboneWeights FromClassifier(string checkpointOrRun)
    {
        string path;
        ModelCard card;
        try
        {
            (path, card) = RunFolder.Open(checkpointOrRun, ModelFamily.Classifier);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"--init {checkpointOrRun}: {e.Message}; give the run folder of 'aperture train classify --model {BackboneGap.Id}'", e.FileName, e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"--init {checkpointOrRun}: {e.Message}", e);
        }
        if (card.Method != BackboneGap.Id)
            throw new InvalidDataException($"--init {checkpointOrRun}: {path} is a {card.Method} classifier; the detectors' body starts from a {BackboneGap.Id} classifier "
                + $"(aperture train classify --model {BackboneGap.Id})");
        var all = Core.Checkpoint.ReadModuleState(path);
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, t) in all)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal)) state[name[Prefix.Length..]] = t;
            else t.Dispose();
        }
        var weights = new BackboneWeights(state, $"{BackboneGap.Id} classifier {Path.GetFullPath(path)}", Path.GetFullPath(path));
        using var reference = new Backbone(weights.Widths.Any(w => w < 1) ? null : weights.Widths);
        var missing = reference.state_dict().Keys.Where(k => !state.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            weights.Dispose();
            throw new InvalidDataException($"--init {checkpointOrRun}: {path} holds no complete body (missing {string.Join(", ", missing.Take(3))})");
        }
        return weights;
    }

    /// <summary>
    /// Copies the weights into <paramref name="body"/> (on whatever device it is), parameters and batch-norm buffers alike.
    /// </summary>
    /// <exception cref="InvalidDataException">The body's widths differ (the message gives both).</exception>
    public void CopyTo(Backbone body)
    {
        CheckWidths(body.Widths);
        var target = body.state_dict();
        using var noGrad = no_grad();
        foreach (var (name, t) in target)
        {
            if (!_state.TryGetValue(name, out var source))
                throw new InvalidDataException($"--init: the pre-trained body ({Checkpoint}) has no '{name}'");
            if (!source.shape.SequenceEqual(t.shape))
                throw new InvalidDataException($"--init: mismatched widths: '{name}' is [{string.Join(", ", source.shape)}] in {Checkpoint}, [{string.Join(", ", t.shape)}] in the detector");
            t.copy_(source);
        }
    }

    /// <summary>Refuses a body whose stage widths are not <paramref name="widths"/>.</summary>
    /// <exception cref="InvalidDataException">They differ (the message gives both).</exception>
    public void CheckWidths(IReadOnlyList<int> widths)
    {
        if (!Widths.SequenceEqual(widths))
            throw new InvalidDataException($"--init: mismatched widths: the pre-trained body ({Checkpoint}) has stages {string.Join("/", Widths)}, "
                + $"the detector's has {string.Join("/", widths)}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _state.Values) t.Dispose();
        _state.Clear();
    }
}
