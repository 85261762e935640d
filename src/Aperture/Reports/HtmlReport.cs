using System.Net;
using System.Text;
using Aperture.Core;

namespace Aperture.Reports;

/// <summary>
/// The HTML report: one page, one chapter per method, each a sequence of paragraphs, tables and
/// figures (PNG files beside the page, linked by relative path). Written atomically.
/// </summary>
public sealed class HtmlReport
{
    private readonly List<Chapter> _chapters = new();

    /// <summary>Creates a report whose page and figures live in <paramref name="folder"/>.</summary>
    public HtmlReport(string folder, string title)
    {
        Folder = Path.GetFullPath(folder);
        Title = title;
        Aperture.Core.OutputFolder.Create(Folder);
    }

    /// <summary>The folder holding <c>index.html</c> and the figures.</summary>
    public string Folder { get; }

    /// <summary>The page title.</summary>
    public string Title { get; }

    /// <summary>Lines shown under the title (data source, settings, timing).</summary>
    public List<string> Preamble { get; } = new();

    /// <summary>Starts a new chapter and returns it.</summary>
    public Chapter AddChapter(string title)
    {
        var c = new Chapter(this, title);
        _chapters.Add(c);
        return c;
    }

    /// <summary>Writes <c>index.html</c> and returns its path.</summary>
    public string Write()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append($"<title>{Enc(Title)}</title>");
        sb.Append("<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
                  + "h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #aaa}"
                  + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 10px;text-align:right}"
                  + "th{background:#eee}td:first-child,th:first-child{text-align:left}"
                  + "figure{display:inline-block;margin:0.5em 1em 1em 0;vertical-align:top}figcaption{font-size:90%;color:#555;max-width:520px}"
                  + "img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}nav a{margin-right:1em}</style></head><body>\n");
        sb.Append($"<h1>{Enc(Title)}</h1>\n");
        foreach (var line in Preamble) sb.Append($"<p>{Enc(line)}</p>\n");
        sb.Append("<nav>");
        for (int i = 0; i < _chapters.Count; i++) sb.Append($"<a href=\"#ch{i + 1}\">{i + 1}. {Enc(_chapters[i].Title)}</a>");
        sb.Append("</nav>\n");
        for (int i = 0; i < _chapters.Count; i++)
        {
            sb.Append($"<h2 id=\"ch{i + 1}\">{i + 1}. {Enc(_chapters[i].Title)}</h2>\n");
            foreach (var block in _chapters[i].Blocks) sb.Append(block).Append('\n');
        }
        sb.Append($"<p style=\"color:#888\">Written by Aperture on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.</p></body></html>\n");
        string path = Path.Combine(Folder, "index.html");
        AtomicFile.WriteAllText(path, sb.ToString());
        return path;
    }

    internal static string Enc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>One chapter of the report.</summary>
    public sealed class Chapter
    {
        private readonly HtmlReport _report;
        internal List<string> Blocks { get; } = new();

        internal Chapter(HtmlReport report, string title)
        {
            _report = report;
            Title = title;
        }

        /// <summary>The chapter heading.</summary>
        public string Title { get; }

        /// <summary>Adds a paragraph of plain text.</summary>
        public Chapter Paragraph(string text)
        {
            Blocks.Add($"<p>{Enc(text)}</p>");
            return this;
        }

        /// <summary>Adds a sub-heading.</summary>
        public Chapter Heading(string text)
        {
            Blocks.Add($"<h3>{Enc(text)}</h3>");
            return this;
        }

        /// <summary>Adds a table; the first row is the header.</summary>
        public Chapter Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
        {
            var sb = new StringBuilder("<table><tr>");
            foreach (var h in header) sb.Append($"<th>{Enc(h)}</th>");
            sb.Append("</tr>");
            foreach (var r in rows)
            {
                sb.Append("<tr>");
                foreach (var c in r) sb.Append($"<td>{Enc(c)}</td>");
                sb.Append("</tr>");
            }
            sb.Append("</table>");
            Blocks.Add(sb.ToString());
            return this;
        }

        /// <summary>Adds a figure: a PNG already written inside the report folder, with a caption.</summary>
        /// <param name="file">Path of the image; must lie inside the report folder.</param>
        /// <param name="caption">What the figure shows.</param>
        /// <param name="width">Display width in CSS pixels (0: natural size).</param>
        public Chapter Figure(string file, string caption, int width = 0)
        {
            string full = Path.GetFullPath(file);
            if (!full.StartsWith(_report.Folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ArgumentException($"{file}: figures must be inside the report folder {_report.Folder}");
            if (!File.Exists(full)) throw new FileNotFoundException($"{file}: figure file was not written", file);
            string rel = Path.GetRelativePath(_report.Folder, full).Replace(Path.DirectorySeparatorChar, '/');
            string w = width > 0 ? $" width=\"{width}\"" : "";
            Blocks.Add($"<figure><a href=\"{Enc(rel)}\"><img src=\"{Enc(rel)}\"{w} alt=\"{Enc(caption)}\"></a><figcaption>{Enc(caption)}</figcaption></figure>");
            return this;
        }
    }
}
