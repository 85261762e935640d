using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Aperture.Core;

/// <summary>
/// Where every long piece of work reports (training epochs, per-image verbs, data generation, proposal caching, report
/// chapters): a live bar on a terminal, plain periodic lines when output is redirected or machine-readable, or nothing.
/// Create one with <see cref="ProgressReporter"/>; it is thread-safe (a parallel loop may advance a task).
/// </summary>
public interface IProgressSink : IDisposable
{
    /// <summary>Whether per-item lines (<see cref="Item"/>) are shown (<c>--verbose</c>).</summary>
    bool Verbose { get; }

    /// <summary>A writer whose lines become <see cref="Message"/>s: pass it where a library function takes a
    /// <see cref="TextWriter"/> log, and the trainers and caches below it report to this sink.</summary>
    TextWriter Log { get; }

    /// <summary>Starts a task of <paramref name="total"/> steps (null: unknown, shown as a spinner and a count).</summary>
    /// <param name="name">Short name shown before the bar, e.g. <c>epoch 1/5</c> or <c>propose</c>.</param>
    /// <param name="total">Steps the task will take, when known.</param>
    /// <param name="unit">What the rate counts, e.g. <c>img</c>.</param>
    IProgressTask Start(string name, long? total = null, string unit = "img");

    /// <summary>A line that is always shown (above the bar on a terminal).</summary>
    void Message(string text);

    /// <summary>A per-item line, shown only when <see cref="Verbose"/>.</summary>
    void Item(string text);
}

/// <summary>One running task of an <see cref="IProgressSink"/>; disposing it without <see cref="Done"/> ends it silently.</summary>
public interface IProgressTask : IDisposable
{
    /// <summary>Steps done so far.</summary>
    long Value { get; }

    /// <summary>Total steps, or null when unknown.</summary>
    long? Total { get; }

    /// <summary>Adds <paramref name="steps"/> steps, which did <paramref name="work"/> units of work for the rate
    /// (null: one unit per step; a training step counts its images).</summary>
    void Advance(long steps = 1, long? work = null);

    /// <summary>Sets the total once it becomes known (or unknown again with null).</summary>
    void SetTotal(long? total);

    /// <summary>A short status shown after the name, e.g. running loss.</summary>
    void Status(string? text);

    /// <summary>Ends the task and prints <paramref name="line"/>, or a summary (count, time, rate) when null.</summary>
    void Done(string? line = null);
}

/// <summary>Creates <see cref="IProgressSink"/>s: the terminal bar, plain lines, or nothing.</summary>
public static class ProgressReporter
{
    /// <summary>A sink that shows nothing.</summary>
    public static IProgressSink Quiet { get; } = new QuietSink();

    /// <summary>
    /// The sink for a <paramref name="mode"/>: <see cref="ProgressMode.Auto"/> is the bar when stdout is a terminal and
    /// no <paramref name="log"/> is given, else lines into <paramref name="log"/> (or stdout). A log that is an existing
    /// sink's <see cref="IProgressSink.Log"/> reports into that sink (disposing the result then leaves it running).
    /// </summary>
    /// <param name="mode">Bar, lines, nothing or automatic.</param>
    /// <param name="log">Where lines go, or a sink's log.</param>
    /// <param name="verbose">Show per-item lines.</param>
    public static IProgressSink Create(ProgressMode mode, TextWriter? log = null, bool verbose = false)
    {
        if (mode == ProgressMode.Quiet) return Quiet;
        if (log is SinkWriter shared) return new Borrowed(shared.Sink);
        return mode switch
        {
            ProgressMode.Lines => Lines(log ?? Console.Out, verbose),
            ProgressMode.Bar => Terminal(AnsiConsole.Console, verbose),
            _ => Console.IsOutputRedirected || log is not null ? Lines(log ?? Console.Out, verbose) : Terminal(AnsiConsole.Console, verbose),
        };
    }

    /// <summary>The sink a library function reports to given its <see cref="TextWriter"/> log parameter: the sink behind
    /// a sink's <see cref="IProgressSink.Log"/>, plain lines into any other writer, or nothing for null. Disposing the
    /// result never disposes a sink it borrowed.</summary>
    public static IProgressSink From(TextWriter? log) => log switch
    {
        null => Quiet,
        SinkWriter shared => new Borrowed(shared.Sink),
        _ => Lines(log),
    };

    /// <summary>Plain lines into <paramref name="writer"/>: no control codes, a line per task at most every
    /// <paramref name="interval"/> (10 s by default) or at each tenth of its total (but not more than one a second).</summary>
    /// <param name="writer">Where lines go.</param>
    /// <param name="verbose">Show per-item lines.</param>
    /// <param name="interval">Longest quiet time of a running task.</param>
    /// <param name="time">Clock (tests pass a fake one).</param>
    public static IProgressSink Lines(TextWriter writer, bool verbose = false, TimeSpan? interval = null, TimeProvider? time = null) =>
        new LineSink(writer, verbose, interval ?? TimeSpan.FromSeconds(10), time ?? TimeProvider.System);

    /// <summary>A live Spectre.Console bar on <paramref name="console"/> (name, bar or spinner, count, rate, remaining
    /// time), fitted to the console's width; messages print above it.</summary>
    /// <param name="console">The terminal.</param>
    /// <param name="verbose">Show per-item lines.</param>
    /// <param name="time">Clock (tests pass a fake one).</param>
    public static IProgressSink Terminal(IAnsiConsole console, bool verbose = false, TimeProvider? time = null) =>
        new BarSink(console, verbose, time ?? TimeProvider.System);

    /// <summary>An <see cref="IProgress{T}"/> told the number done so far (from any thread, in any order) that moves
    /// <paramref name="task"/> forward to the largest number reported.</summary>
    public static IProgress<int> Counting(IProgressTask task) => new CountingProgress(task);

    private sealed class CountingProgress(IProgressTask task) : IProgress<int>
    {
        private readonly Lock _lock = new();
        private long _seen;

        public void Report(int value)
        {
            lock (_lock)
            {
                if (value <= _seen) return;
                task.Advance(value - _seen);
                _seen = value;
            }
        }
    }

    /// <summary>A duration as <c>m:ss</c> or <c>h:mm:ss</c>.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        long s = (long)Math.Round(t.TotalSeconds);
        return s >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{s / 60}:{s % 60:00}");
    }

    /// <summary>A rate as <c>850 img/s</c>, <c>2.4 img/s</c> or <c>0.31 img/s</c>.</summary>
    public static string Rate(double perSecond, string unit) =>
        (perSecond >= 100 ? perSecond.ToString("0", CultureInfo.InvariantCulture)
            : perSecond >= 10 ? perSecond.ToString("0.0", CultureInfo.InvariantCulture)
            : perSecond.ToString("0.00", CultureInfo.InvariantCulture)) + $" {unit}/s";

    /// <summary>The counts, rate and remaining time of a task, thread-safe. The rate and remaining time are measured
    /// from the end of the first step (which carries start-up costs), and appear from the third step on.</summary>
    internal sealed class State(string name, long? total, string unit, TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly long _start = time.GetTimestamp();
        private long _firstAt, _steps, _work, _stepsAtFirst, _workAtFirst;
        private long? _total = total;
        private string? _status;

        public string Name { get; } = name;
        public string Unit { get; } = unit;
        public TimeProvider Time { get; } = time;

        public long Steps { get { lock (_lock) return _steps; } }
        public long? Total { get { lock (_lock) return _total; } set { lock (_lock) _total = value; } }
        public string? StatusText { get { lock (_lock) return _status; } set { lock (_lock) _status = value; } }
        public TimeSpan Elapsed => Time.GetElapsedTime(_start);

        public void Advance(long steps, long work)
        {
            lock (_lock)
            {
                _steps += steps;
                _work += work;
                if (_firstAt == 0)
                {
                    _firstAt = Time.GetTimestamp();
                    _stepsAtFirst = _steps;
                    _workAtFirst = _work;
                }
            }
        }

        /// <summary>Units of work per second, once measurable.</summary>
        public double? RatePerSecond()
        {
            lock (_lock)
            {
                if (_firstAt == 0) return null;
                double since = Time.GetElapsedTime(_firstAt).TotalSeconds;
                if (_steps - _stepsAtFirst >= 2 && since > 0) return (_work - _workAtFirst) / since;
                double all = Elapsed.TotalSeconds;
                return all > 0 ? _work / all : null;
            }
        }

        /// <summary>Time left at the pace since the first step, once two more steps are done.</summary>
        public TimeSpan? Remaining()
        {
            lock (_lock)
            {
                if (_total is not long n || _firstAt == 0 || _steps - _stepsAtFirst < 2) return null;
                double since = Time.GetElapsedTime(_firstAt).TotalSeconds;
                double perStep = since / (_steps - _stepsAtFirst);
                return TimeSpan.FromSeconds(Math.Max(0, n - _steps) * perStep);
            }
        }

        public double? Fraction()
        {
            lock (_lock) return _total is long n && n > 0 ? Math.Clamp((double)_steps / n, 0, 1) : null;
        }

        /// <summary>
        /// Count, percentage, rate and remaining time, e.g. <c>120/469 26%  850 img/s  0:42 left</c>; without the rate when
        /// all of it would be wider than <paramref name="width"/> (the time left is what a narrow terminal keeps).
        /// </summary>
        public string Stats(int width = int.MaxValue)
        {
            long steps = Steps;
            string count = Total is long n ? $"{steps}/{n} {Math.Floor(100.0 * Fraction()!.Value):0}%" : $"{steps}";
            string? rate = RatePerSecond() is double r ? Rate(r, Unit) : null;
            string? left = Remaining() is TimeSpan t ? $"{Duration(t)} left" : null;
            string all = string.Join("  ", new[] { count, rate, left }.OfType<string>());
            return all.Length <= width || rate is null ? all : string.Join("  ", new[] { count, left }.OfType<string>());
        }

        public string Summary()
        {
            double seconds = Elapsed.TotalSeconds;
            string rate = _work > 0 && seconds > 0 ? $" ({Rate(_work / seconds, Unit)})" : "";
            return $"{Name}: {Steps} done in {Duration(Elapsed)}{rate}";
        }
    }

    /// <summary>The <see cref="IProgressSink.Log"/> of a sink: every line written becomes a message.</summary>
    private sealed class SinkWriter(IProgressSink sink) : TextWriter
    {
        private readonly StringBuilder _line = new();
        public IProgressSink Sink { get; } = sink;
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    string text = _line.ToString().TrimEnd('\r');
                    _line.Clear();
                    Sink.Message(text);
                }
                else _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            foreach (char c in value) Write(c);
        }

        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                _line.Append(value);
                string text = _line.ToString();
                _line.Clear();
                Sink.Message(text);
            }
        }
    }

    private sealed class QuietSink : IProgressSink
    {
        public bool Verbose => false;
        public TextWriter Log => TextWriter.Null;
        public IProgressTask Start(string name, long? total = null, string unit = "img") => new QuietTask(total);
        public void Message(string text) { }
        public void Item(string text) { }
        public void Dispose() { }

        private sealed class QuietTask(long? total) : IProgressTask
        {
            private long _value;
            public long Value => Interlocked.Read(ref _value);
            public long? Total { get; private set; } = total;
            public void Advance(long steps = 1, long? work = null) => Interlocked.Add(ref _value, steps);
            public void SetTotal(long? total) => Total = total;
            public void Status(string? text) { }
            public void Done(string? line = null) { }
            public void Dispose() { }
        }
    }

    /// <summary>Reports into another sink without owning it.</summary>
    private sealed class Borrowed(IProgressSink inner) : IProgressSink
    {
        public bool Verbose => inner.Verbose;
        public TextWriter Log => inner.Log;
        public IProgressTask Start(string name, long? total = null, string unit = "img") => inner.Start(name, total, unit);
        public void Message(string text) => inner.Message(text);
        public void Item(string text) => inner.Item(text);
        public void Dispose() { }
    }

    /// <summary>A task whose state is a <see cref="State"/>; the sink decides what advancing and ending show.</summary>
    private abstract class TaskBase(State state) : IProgressTask
    {
        private int _done;
        public State State { get; } = state;
        public long Value => State.Steps;
        public long? Total => State.Total;
        protected bool IsDone => Volatile.Read(ref _done) != 0;

        public virtual void Advance(long steps = 1, long? work = null) => State.Advance(steps, work ?? steps);
        public virtual void SetTotal(long? total) => State.Total = total;
        public virtual void Status(string? text) => State.StatusText = text;

        public void Done(string? line = null)
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            Finish(line ?? State.Summary(), print: true);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) != 0) return;
            Finish(null, print: false);
        }

        protected abstract void Finish(string? line, bool print);
    }

    private sealed class LineSink(TextWriter writer, bool verbose, TimeSpan interval, TimeProvider time) : IProgressSink
    {
        private static readonly TimeSpan MinimumGap = TimeSpan.FromSeconds(1);
        private readonly Lock _lock = new();
        private TextWriter? _log;

        public bool Verbose => verbose;
        public TimeSpan Interval => interval;
        public TextWriter Log => _log ??= new SinkWriter(this);

        public IProgressTask Start(string name, long? total = null, string unit = "img") =>
            new LineTask(this, new State(name, total, unit, time));

        public void Message(string text)
        {
            lock (_lock)
            {
                writer.WriteLine(text);
                writer.Flush();
            }
        }

        public void Item(string text)
        {
            if (verbose) Message(text);
        }

        public void Dispose() { }

        private sealed class LineTask(LineSink sink, State state) : TaskBase(state)
        {
            private long _last = state.Time.GetTimestamp();
            private int _decile;

            public override void Advance(long steps = 1, long? work = null)
            {
                base.Advance(steps, work);
                if (IsDone) return;
                var since = State.Time.GetElapsedTime(Interlocked.Read(ref _last));
                int decile = State.Fraction() is double f ? (int)Math.Floor(f * 10) : 0;
                bool newDecile = decile > Volatile.Read(ref _decile) && decile < 10;
                if (!(since >= sink.Interval || (newDecile && since >= MinimumGap))) return;
                Interlocked.Exchange(ref _last, State.Time.GetTimestamp());
                Volatile.Write(ref _decile, decile);
                string status = State.StatusText is { Length: > 0 } s ? "  " + s : "";
                sink.Message($"{State.Name}: {State.Stats()}{status}");
            }

            protected override void Finish(string? line, bool print)
            {
                if (print && line is not null) sink.Message(line);
            }
        }
    }

    private sealed class BarSink(IAnsiConsole console, bool verbose, TimeProvider time) : IProgressSink
    {
        private readonly Lock _lock = new();
        private readonly List<BarTask> _running = [];
        private Thread? _thread;
        private ProgressContext? _context;
        private ManualResetEventSlim? _stop;
        private TextWriter? _log;

        public bool Verbose => verbose;
        public TextWriter Log => _log ??= new SinkWriter(this);

        public IProgressTask Start(string name, long? total = null, string unit = "img")
        {
            lock (_lock)
            {
                var state = new State(name, total, unit, time);
                if (_context is null) Open();
                var spectre = _context!.AddTask(name, autoStart: true, maxValue: 1);
                spectre.Tag = state;
                var task = new BarTask(this, state, spectre);
                _running.Add(task);
                return task;
            }
        }

        public void Message(string text)
        {
            lock (_lock) console.WriteLine(text, Style.Plain);
        }

        public void Item(string text)
        {
            if (verbose) Message(text);
        }

        public void Dispose()
        {
            lock (_lock) Close();
        }

        /// <summary>The terminal's width in columns (what the column widths follow).</summary>
        private int Width() => Math.Max(20, console.Profile.Width);

        private void Open()
        {
            var ready = new ManualResetEventSlim();
            var stop = new ManualResetEventSlim();
            var thread = new Thread(() =>
            {
                console.Progress()
                    .AutoClear(true)
                    .HideCompleted(true)
                    .AutoRefresh(true)
                    .Columns(new NameColumn(Width), new BarColumn(Width), new StatsColumn(Width))
                    .Start(ctx =>
                    {
                        _context = ctx;
                        ready.Set();
                        stop.Wait();
                    });
            }) { IsBackground = true, Name = "progress" };
            _stop = stop;
            _thread = thread;
            thread.Start();
            ready.Wait();
        }

        private void Close()
        {
            if (_thread is null) return;
            _stop!.Set();
            _thread.Join();
            _thread = null;
            _context = null;
            _stop.Dispose();
            _stop = null;
        }

        private void Finished(BarTask task, string? line)
        {
            lock (_lock)
            {
                task.Spectre.StopTask();
                _running.Remove(task);
                // The live region closes when nothing runs, so that a table or line printed next lands below it.
                if (_running.Count == 0) Close();
                if (line is not null) console.WriteLine(line, Style.Plain);
            }
        }

        private sealed class BarTask(BarSink sink, State state, ProgressTask spectre) : TaskBase(state)
        {
            public ProgressTask Spectre { get; } = spectre;

            protected override void Finish(string? line, bool print) => sink.Finished(this, print ? line : null);
        }
    }

    /// <summary>Columns of the bar; widths follow the console so a line never wraps (80 columns and up, and below).</summary>
    private static class Layout
    {
        public static int BarWidth(int width) => width >= 120 ? 30 : width >= 90 ? 20 : 12;
        public static int StatsWidth(int width) => width >= 80 ? 36 : 30;
        public static int NameWidth(int width) => Math.Max(8, width - BarWidth(width) - StatsWidth(width) - 4);

        public static string Fit(string text, int width) =>
            text.Length <= width ? text : width <= 1 ? text[..width] : text[..(width - 1)] + "…";
    }

    private sealed class NameColumn(Func<int> consoleWidth) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (task.Tag is not State state) return Text.Empty;
            string text = state.StatusText is { Length: > 0 } s ? $"{state.Name} {s}" : state.Name;
            return new Text(Layout.Fit(text, Layout.NameWidth(consoleWidth())));
        }
    }

    private sealed class BarColumn(Func<int> consoleWidth) : ProgressColumn
    {
        private static readonly string[] Unicode = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        private static readonly string[] Ascii = ["|", "/", "-", "\\"];

        protected override bool NoWrap => true;

        public override int? GetColumnWidth(Spectre.Console.Rendering.RenderOptions options) => Layout.BarWidth(consoleWidth());

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (task.Tag is not State state) return Text.Empty;
            int width = Layout.BarWidth(consoleWidth());
            if (state.Fraction() is not double f)
            {
                var frames = options.Unicode ? Unicode : Ascii;
                int frame = (int)(state.Elapsed.TotalMilliseconds / 100) % frames.Length;
                return new Text(frames[frame].PadRight(width), new Style(Color.Yellow));
            }
            int filled = (int)Math.Floor(f * width);
            var (on, off) = options.Unicode ? ('█', '░') : ('#', '.');
            return new Markup($"[green]{new string(on, filled)}[/][grey]{new string(off, width - filled)}[/]");
        }
    }

    private sealed class StatsColumn(Func<int> consoleWidth) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override int? GetColumnWidth(Spectre.Console.Rendering.RenderOptions options) => Layout.StatsWidth(consoleWidth());

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            if (task.Tag is not State state) return Text.Empty;
            int width = Layout.StatsWidth(consoleWidth());
            return new Text(Layout.Fit(state.Stats(width), width));
        }
    }
}
