using System.Text.RegularExpressions;
using Aperture.Core;
using Aperture.Data;
using Aperture.Tests.Training;
using Aperture.Training;
using Spectre.Console;

namespace Aperture.Tests.Core;

public partial class ProgressTests
{
    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Sgr();

    /// <summary>A terminal of <paramref name="width"/> columns that writes into a string (ANSI and interactive forced).</summary>
    private static (IAnsiConsole Console, TextWriter Writer, StringWriter Text) Terminal(int width, bool noColor = false)
    {
        var text = new StringWriter();
        var writer = TextWriter.Synchronized(text);
        var settings = new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.TrueColor,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        };
        var console = AnsiConsole.Create(settings);
        console.Profile.Width = width;
        console.Profile.Height = 30;
        console.Profile.Capabilities.Unicode = true;
        return (console, writer, text);
    }

    private static string Snapshot(TextWriter writer, StringWriter text)
    {
        lock (writer) return text.ToString();
    }

    /// <summary>The last rendered line that names <paramref name="task"/>: colours removed, cursor moves as line breaks.</summary>
    private static string LastLine(string output, string task)
    {
        string plain = Ansi().Replace(Sgr().Replace(output.Replace("\r", ""), ""), "\n");
        return plain.Split('\n').Last(l => l.Contains(task));
    }

    [Fact]
    public void MidEpochTheTerminalBarIsBelowFullWithARemainingTime_AndFitsEightyColumns()
    {
        using var data = new ToyClassification();
        var (console, writer, text) = Terminal(80);
        using var sink = ProgressReporter.Terminal(console);
        string? midEpoch = null;
        IEnumerable<Batch> Watched(IEnumerable<Batch> batches, int epoch)
        {
            int i = 0;
            foreach (var b in batches)
            {
                if (epoch == 1 && ++i == 7)
                {
                    Thread.Sleep(400); // a few refreshes of the live region
                    midEpoch = Snapshot(writer, text);
                }
                yield return b;
            }
        }
        var options = TrainerTests.Options(ToyClassification.TempDir(), 1) with { Sink = sink, Progress = ProgressMode.Bar };
        using var model = ToyClassification.Model();
        var result = new Trainer<Batch>(new ClassificationTask(model, options), options)
            .Fit(e => Watched(data.Epoch(options.Seed, e, batchSize: 8), e), stepsPerEpoch: 12);

        Assert.True(result.Succeeded, result.Message);
        Assert.NotNull(midEpoch);
        string frame = LastLine(midEpoch!, "epoch 1/1");
        Assert.Contains("epoch 1/1", frame);
        Assert.Contains("6/12 50%", frame);
        Assert.Matches(@"\d+:\d\d left", frame);
        Assert.DoesNotContain("100%", frame);
        Assert.Contains("img/s", frame);
        foreach (string line in Ansi().Replace(Snapshot(writer, text), "\n").Split('\n'))
            Assert.True(line.TrimEnd().Length <= 80, $"a line wider than the terminal: '{line}'");
        // The epoch ends with its summary line above where the bar was.
        Assert.Contains("epoch 1/1  train loss", Ansi().Replace(Snapshot(writer, text), ""));
    }

    [Fact]
    public void AnUnknownLengthShowsASpinnerAndACountNeverAFullBar()
    {
        var (console, writer, text) = Terminal(100);
        using var sink = ProgressReporter.Terminal(console);
        using var task = sink.Start("proposals", total: null);
        task.Advance(5);
        Thread.Sleep(300);
        string frame = LastLine(Snapshot(writer, text), "proposals");
        Assert.Contains("proposals", frame);
        Assert.Contains(" 5 ", frame + " ");
        Assert.DoesNotContain("█", frame);
        Assert.DoesNotContain("%", frame);
    }

    [Fact]
    public void NoColorLeavesOutColourCodes()
    {
        // What the CLI builds when NO_COLOR is set (CommonOptions.Progress).
        var (console, writer, text) = Terminal(80, noColor: true);
        using (var sink = ProgressReporter.Terminal(console))
        {
            var task = sink.Start("propose", 10);
            for (int i = 0; i < 4; i++) task.Advance();
            Thread.Sleep(300);
            task.Done();
        }
        string output = Snapshot(writer, text);
        Assert.Contains("propose", output);
        Assert.DoesNotMatch(@"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;[0-9;]*)m", output);
    }

    [Fact]
    public void RedirectedTrainingPrintsPlainLinesWithoutControlCodes()
    {
        using var data = new ToyClassification();
        var log = new StringWriter();
        var options = TrainerTests.Options(ToyClassification.TempDir(), 2, log);
        using var model = ToyClassification.Model();
        var result = new Trainer<Batch>(new ClassificationTask(model, options), options)
            .Fit(e => data.Epoch(options.Seed, e, batchSize: 8), () => data.InOrder());

        Assert.True(result.Succeeded, result.Message);
        string output = log.ToString();
        Assert.DoesNotContain("\u001b", output);
        Assert.DoesNotContain("\r", output.Replace(Environment.NewLine, "\n"));
        Assert.Contains("epoch 1/2  train loss", output);
        Assert.Contains("epoch 2/2  train loss", output);
    }

    [Fact]
    public void PlainLinesComeAtMostEveryTenthOrInterval_AndItemsOnlyWhenVerbose()
    {
        var time = new FakeTime();
        var log = new StringWriter();
        using (var sink = ProgressReporter.Lines(log, verbose: false, time: time))
        {
            var task = sink.Start("propose", 200);
            for (int i = 0; i < 200; i++)
            {
                time.Advance(TimeSpan.FromSeconds(0.5));
                task.Advance();
                sink.Item($"image {i}");
            }
            task.Done();
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, l => l.StartsWith("image "));
        Assert.InRange(lines.Length, 5, 12); // tenths (9, the 100% one is the summary) + the summary, not 200
        Assert.Contains(lines, l => l.Contains("100/200 50%") && l.Contains("left"));
        Assert.StartsWith("propose: 200 done in 1:40", lines[^1]);

        var verbose = new StringWriter();
        using (var sink = ProgressReporter.Lines(verbose, verbose: true, time: time))
            sink.Item("image 0");
        Assert.Contains("image 0", verbose.ToString());
    }

    [Fact]
    public void TheRemainingTimeSettlesOnThePaceAfterTheFirstStep()
    {
        var time = new FakeTime();
        var log = new StringWriter();
        using var sink = ProgressReporter.Lines(log, time: time);
        using var task = sink.Start("epoch 1/1", 10);
        time.Advance(TimeSpan.FromSeconds(30)); // a slow first step (start-up)
        task.Advance(1, 64);
        for (int i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            task.Advance(1, 64);
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("epoch 1/1: 5/10 50%  64.0 img/s  0:05 left", lines[^1].TrimEnd());
    }

    [Fact]
    public void ANarrowStatsColumnKeepsTheTimeLeftOverTheRate()
    {
        var time = new FakeTime();
        var state = new ProgressReporter.State("epoch 1/1", 469, "img", time);
        state.Advance(1, 64);
        for (int i = 0; i < 119; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            state.Advance(1, 64);
        }
        Assert.Equal("120/469 25%  3200 img/s  0:07 left", state.Stats());
        Assert.Equal("120/469 25%  0:07 left", state.Stats(30));
        Assert.Equal(state.Stats(), state.Stats(36));
    }

    private sealed class FakeTime : TimeProvider
    {
        private long _ticks = 1;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}
