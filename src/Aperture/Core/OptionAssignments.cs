using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aperture.Core;

/// <summary>
/// The <c>--set name=value</c> of the training verbs: changes fields of a method's options record, each named by its
/// snake_case name as in the model card (e.g. <c>roi_align=true</c>, <c>base_width=32</c>).
/// </summary>
public static class OptionAssignments
{
    /// <summary>A copy of <paramref name="options"/> with the assignments applied.</summary>
    /// <param name="options">An options record (serialised as in <see cref="ModelCard.Settings"/>).</param>
    /// <param name="assignments">Each <c>name=value</c>; a value that is not JSON is taken as a string.</param>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones), a value of the wrong type, or
    /// one the options record refuses (<see cref="IValidatable"/>), before any data is read.</exception>
    public static object Apply(object options, IEnumerable<string> assignments)
    {
        var node = ModelCard.SettingsOf(options);
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
        var card = new ModelCard { Family = "", Method = "", Settings = node };
        object changed;
        try
        {
            changed = card.SettingsAs(options.GetType());
        }
        catch (InvalidDataException e)
        {
            string why = e.GetBaseException().Message.Split(" | ")[0];
            throw new ArgumentException($"--set {string.Join(' ', assignments)}: a value has the wrong type for {options.GetType().Name}: {why}");
        }
        (changed as IValidatable)?.Validate();
        return changed;
    }
}
