using Aperture.Classification;
using Aperture.Core;
using Aperture.Nn;
using static TorchSharp.torch;

namespace Aperture.Detection;

/// <summary>
/// Pre-trained weights for the detectors' conv body (<see cref="Backbone"/>) and fully connected head
/// (<see cref="RegionHead"/>, fc6 and fc7): those of a trained <see cref="BackboneFc"/> classifier — the supervised
/// pre-training both R-CNN papers start from (there VGG-16 on ImageNet, here Fashion-MNIST items drawn as in the
/// scenes). A detector built with them starts with exactly these values in its <c>backbone.*</c> parameters and
/// batch-norm statistics, and in <c>head.*</c> when its head has the same shape (the classifier's 7x7 grid and width
/// 256, the detectors' defaults), then is fine-tuned for detection; its model card records <see cref="Origin"/>. What
/// torchvision calls <c>weights_backbone</c>, with the fc layers the papers also carry over.
/// </summary>
public sealed class BackboneWeights : IDisposable
{
    private const string Prefix = "backbone.", HeadPrefix = "head.";
    private readonly Dictionary<string, Tensor> _state, _head;

    private BackboneWeights(Dictionary<string, Tensor> state, Dictionary<string, Tensor> head, string origin, string checkpoint)
    {
        _state = state;
        _head = head;
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
    /// Reads the body and head of a trained <see cref="BackboneFc"/> classifier (its run folder or a checkpoint).
    /// </summary>
    /// <exception cref="FileNotFoundException">No checkpoint there (the message names the path).</exception>
    /// <exception cref="InvalidDataException">Not a classifier, another classifier than <see cref="BackboneFc"/>, or its body is incomplete.</exception>
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
            throw new FileNotFoundException($"--init {checkpointOrRun}: {e.Message}; give the run folder of 'aperture train classify --model {BackboneFc.Id}'", e.FileName, e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"--init {checkpointOrRun}: {e.Message}", e);
        }
        if (card.Method != BackboneFc.Id)
            throw new InvalidDataException($"--init {checkpointOrRun}: {path} is a {card.Method} classifier; the detectors' body starts from a {BackboneFc.Id} classifier "
                + $"(aperture train classify --model {BackboneFc.Id})");
        var all = Core.Checkpoint.ReadModuleState(path);
        Dictionary<string, Tensor> state = [], head = [];
        foreach (var (name, t) in all)
        {
            if (name.StartsWith(Prefix, StringComparison.Ordinal)) state[name[Prefix.Length..]] = t;
            else if (name.StartsWith(HeadPrefix, StringComparison.Ordinal)) head[name[HeadPrefix.Length..]] = t;
            else t.Dispose();
        }
        var weights = new BackboneWeights(state, head, $"{BackboneFc.Id} classifier {Path.GetFullPath(path)}", Path.GetFullPath(path));
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
    /// Copies the weights into <paramref name="body"/> (on whatever device it is), parameters and batch-norm buffers alike,
    /// and fc6 and fc7 into <paramref name="head"/> when given and of the classifier's shape.
    /// </summary>
    /// <returns>What was copied, for the model card: <see cref="Origin"/> followed by "body" or "body, fc6 and fc7" (a head of
    /// another shape keeps its fresh initialisation).</returns>
    /// <exception cref="InvalidDataException">The body's widths differ (the message gives both).</exception>
    public string CopyTo(Backbone body, RegionHead? head = null)
    {
        CheckWidths(body.Widths);
        Copy(_state, body.state_dict(), "body");
        var target = head?.state_dict();
        if (target is null || target.Count != _head.Count || target.Any(p => !_head.TryGetValue(p.Key, out var s) || !s.shape.SequenceEqual(p.Value.shape)))
            return $"{Origin}: body";
        Copy(_head, target, "head");
        return $"{Origin}: body, fc6 and fc7";
    }

    private void Copy(Dictionary<string, Tensor> from, IDictionary<string, Tensor> to, string part)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in to)
        {
            if (!from.TryGetValue(name, out var source))
                throw new InvalidDataException($"--init: the pre-trained {part} ({Checkpoint}) has no '{name}'");
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
        foreach (var t in _state.Values.Concat(_head.Values)) t.Dispose();
        _state.Clear();
        _head.Clear();
    }
}
