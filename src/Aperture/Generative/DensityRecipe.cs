using System.Text.Json;
using System.Text.Json.Nodes;
using Aperture.Core;

namespace Aperture.Generative;

/// <summary>How a density model is fitted: the trainer's settings (ignored by the closed-form models) and the
/// method's own options record.</summary>
/// <param name="Epochs">Epochs (trainable models).</param>
/// <param name="BatchSize">Mini-batch size (trainable models).</param>
/// <param name="LearningRate">Adam's learning rate (trainable models).</param>
/// <param name="Options">The method's options record (e.g. <see cref="PpcaOptions"/>).</param>
public sealed record DensityRecipe(int Epochs, int BatchSize, double LearningRate, object Options)
{
    /// <summary>
    /// The recipe with some of the method's options changed, each <c>name=value</c> with the option's snake_case name
    /// as in the model card (e.g. <c>components=250</c>, <c>decoder=bernoulli</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones) or a value of the wrong type.</exception>
    public DensityRecipe With(IEnumerable<string> assignments)
    {
        var node = ModelCard.SettingsOf(Options);
        foreach (string a in assignments)
        {
            int eq = a.IndexOf('=');
            string key = eq > 0 ? a[..eq].Trim().Replace('-', '_') : throw new ArgumentException($"option '{a}' is not of the form name=value");
            if (!node.ContainsKey(key))
                throw new ArgumentException($"'{key}' is not an option of this model; its options: {string.Join(", ", node.Select(kv => $"{kv.Key} ({kv.Value?.ToJsonString()})"))}");
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
        var card = new ModelCard { Family = ModelFamily.DensityModel, Method = "", Settings = node };
        try
        {
            return this with { Options = card.SettingsAs(Options.GetType()) };
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"bad option value: {e.Message}");
        }
    }
}
