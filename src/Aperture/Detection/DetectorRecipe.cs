using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;
using Aperture.Training;

namespace Aperture.Detection;

/// <summary>How a detector trains: the trainer's settings and the method's own options record.</summary>
/// <param name="Epochs">Epochs (fine-tuning epochs for R-CNN).</param>
/// <param name="Optimizer">Optimizer.</param>
/// <param name="LearningRate">Base learning rate.</param>
/// <param name="Options">The method's options record (e.g. <c>FastRcnnOptions</c>).</param>
public sealed record DetectorRecipe(int Epochs, OptimizerKind Optimizer, double LearningRate, object Options)
{
    /// <summary>
    /// The recipe with some of the method's options changed, each given as <c>name=value</c> with the option's
    /// snake_case name as in the model card (e.g. <c>roi_align=true</c>, <c>rois_per_image=128</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), a value of the wrong type, or one the
    /// options record refuses (<see cref="IValidatable"/>).</exception>
    public DetectorRecipe With(IEnumerable<string> assignments)
    {
        var node = ModelCard.SettingsOf(Options);
        foreach (string a in assignments)
        {
            int eq = a.IndexOf('=');
            string key = eq > 0 ? a[..eq].Trim().Replace('-', '_') : throw new ArgumentException($"option '{a}' is not of the form name=value");
            if (!node.ContainsKey(key))
                throw new ArgumentException($"'{key}' is not an option of this method; its options: {string.Join(", ", node.Select(kv => $"{kv.Key} ({kv.Value?.ToJsonString()})"))}");
            string value = a[(eq + 1)..].Trim();
            try
            {
                node[key] = JsonNode.Parse(value);
            }
            catch (JsonException)
            {
                node[key] = JsonValue.Create(value);
            }
        }
        var card = new ModelCard { Family = ModelFamily.Detector, Method = "", Settings = node };
        object options;
        try
        {
            options = card.SettingsAs(Options.GetType());
        }
        catch (InvalidDataException e)
        {
            string why = e.GetBaseException().Message.Split(" | ")[0]; // "The JSON value could not be converted to System.Int32. Path: $.pool_size"
            throw new ArgumentException($"--set {string.Join(' ', assignments)}: a value has the wrong type for {Options.GetType().Name}: {why}");
        }
        (options as IValidatable)?.Validate();
        return this with { Options = options };
    }
}
