namespace Aperture.Core.Weights;

/// <summary>
/// Renames tensors between a weights file's layout and a model's, where the two name their layers differently.
/// </summary>
/// <remarks>
/// <para>Rules are <c>from=to</c>, one per line in a map file (<c>#</c> starts a comment), tried in order, first match wins:</para>
/// <list type="bullet">
/// <item><c>conv1.weight=c1.weight</c> renames one tensor;</item>
/// <item><c>features.0.=c1.</c> (both ending in <c>.</c>) renames a prefix, so <c>features.0.weight</c> becomes <c>c1.weight</c>;</item>
/// <item><c>module.=</c> strips a prefix (what <c>nn.DataParallel</c> adds);</item>
/// <item><c>-fc.weight</c> drops one tensor, <c>-output.</c> every tensor under a prefix, <c>-.num_batches_tracked</c> every
/// tensor with that suffix (e.g. a classifier head to be trained again for other classes).</item>
/// </list>
/// </remarks>
public sealed class WeightNameMap
{
    private readonly IReadOnlyList<(string From, string? To)> rules;

    private WeightNameMap(IReadOnlyList<(string From, string? To)> rules) => this.rules = rules;

    /// <summary>The map that keeps every name.</summary>
    public static WeightNameMap Identity { get; } = new([]);

    /// <summary>The rules, in order; a drop rule has a null <c>To</c>.</summary>
    public IReadOnlyList<(string From, string? To)> Rules => rules;

    /// <summary>Builds a map from <c>from=to</c> rules.</summary>
    /// <exception cref="ArgumentException">A rule without <c>=</c>, with an empty left side, or a prefix rule whose right side is neither empty nor ends in <c>.</c>.</exception>
    public static WeightNameMap Parse(IEnumerable<string> rules, string source = "--rename")
    {
        var parsed = new List<(string, string?)>();
        foreach (string raw in rules)
        {
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('-'))
            {
                if (line.Length == 1) throw new ArgumentException($"{source}: the drop rule '-' names no tensor (e.g. -fc.weight, -output., -.num_batches_tracked)");
                parsed.Add((line[1..], null));
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"{source}: the name-map rule '{raw.Trim()}' is not 'from=to' or '-drop' (e.g. conv1.weight=c1.weight, features.0.=c1., module.=, -fc.)");
            string from = line[..eq].Trim(), to = line[(eq + 1)..].Trim();
            if (from.EndsWith('.') && to.Length > 0 && !to.EndsWith('.'))
                throw new ArgumentException($"{source}: the prefix rule '{line}' must map to a prefix ending in '.' (or to nothing, to strip it)");
            if (!from.EndsWith('.') && to.Length == 0)
                throw new ArgumentException($"{source}: the rule '{line}' renames to nothing; to drop a tensor write '-{from}'");
            parsed.Add((from, to));
        }
        return new WeightNameMap(parsed);
    }

    /// <summary>Reads a map file: one <c>from=to</c> rule per line.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ArgumentException">A malformed rule (the message names the file).</exception>
    public static WeightNameMap Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"name-map file '{path}' does not exist", path);
        return Parse(File.ReadLines(path), $"name-map file '{path}'");
    }

    /// <summary>This map's rules followed by <paramref name="other"/>'s.</summary>
    public WeightNameMap Then(WeightNameMap other) => new([.. rules, .. other.rules]);

    /// <summary>The model's name for a file's tensor <paramref name="name"/>, or null when a rule drops it.</summary>
    public string? Map(string name)
    {
        foreach (var (from, to) in rules)
        {
            bool prefix = from.EndsWith('.'), suffix = from.StartsWith('.');
            bool matches = name == from || (prefix && name.StartsWith(from, StringComparison.Ordinal))
                           || (suffix && to is null && name.EndsWith(from, StringComparison.Ordinal));
            if (!matches) continue;
            if (to is null) return null;
            return prefix ? to + name[from.Length..] : to;
        }
        return name;
    }
}
