using System.Text.Json;
using Spectre.Console;

namespace Aperture.Cli;

/// <summary>Prints results as a table for people or as JSON (<c>--json</c>) for programs.</summary>
internal static class Output
{
    public static void Json(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Core.RunResults.Json));

    public static void Table(string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var t = new Table { Title = new TableTitle(Markup.Escape(title)) };
        foreach (var h in header) t.AddColumn(Markup.Escape(h));
        foreach (var r in rows) t.AddRow(r.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(t);
    }

    public static void Line(string text) => Console.WriteLine(text);
}
