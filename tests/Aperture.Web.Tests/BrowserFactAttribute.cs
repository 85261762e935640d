namespace Aperture.Web.Tests;

/// <summary>Runs only where Debian's Chromium is installed (Playwright drives it; no browser can be downloaded here).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The browser the tests drive.</summary>
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = $"{Chromium} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does) to run the browser tests";
    }
}
