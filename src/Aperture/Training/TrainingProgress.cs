using System.Globalization;
using Spectre.Console;

namespace Aperture.Training;

/// <summary>Console reporting of a run: a Spectre.Console bar on a terminal, plain lines when redirected, or nothing.</summary>
internal abstract class TrainingProgress
{
    public static TrainingProgress Create(ProgressMode mode, TextWriter? log) => mode switch
    {
        ProgressMode.Quiet => new Quiet(),
        ProgressMode.Lines => new Lines(log ?? Console.Out),
        ProgressMode.Bar => new Bar(),
        _ => Console.IsOutputRedirected || log is not null ? new Lines(log ?? Console.Out) : new Bar(),
    };

    /// <summary>Runs the whole training loop inside the reporter (the bar needs to own the console meanwhile).</summary>
    public virtual T Run<T>(Func<T> body) => body();

    public virtual void EpochStarted(int epoch, int epochs, int? steps) { }

    /// <summary>Called once per step: must stay trivially cheap.</summary>
    public virtual void Advance() { }

    public virtual void StepReport(int epoch, int epochs, int step, int? steps, IReadOnlyDictionary<string, double> running, double imagesPerSecond) { }

    public virtual void EpochFinished(EpochSummary summary, int epochs) { }

    public virtual void Message(string text) { }

    internal static string Format(double v) =>
        Math.Abs(v) >= 1e4 || (v != 0 && Math.Abs(v) < 1e-3) ? v.ToString("0.###e0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);

    internal static string Metrics(IReadOnlyDictionary<string, double> m) =>
        string.Join(" ", m.Select(kv => $"{kv.Key} {Format(kv.Value)}"));

    internal static string EpochLine(EpochSummary s, int epochs)
    {
        var parts = new List<string> { $"epoch {s.Epoch}/{epochs}", "train " + Metrics(s.Train) };
        if (s.Validation.Count > 0) parts.Add("val " + Metrics(s.Validation));
        parts.Add("lr " + string.Join(",", s.LearningRates.Values.Select(Format)));
        parts.Add($"{s.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        parts.Add($"{s.ImagesPerSecond.ToString("0", CultureInfo.InvariantCulture)} img/s");
        return string.Join("  ", parts);
    }

    private sealed class Quiet : TrainingProgress;

    private sealed class Lines(TextWriter writer) : TrainingProgress
    {
        private static readonly TimeSpan StepLineInterval = TimeSpan.FromSeconds(10);
        private DateTime _lastStepLine = DateTime.UtcNow;

        public override void EpochStarted(int epoch, int epochs, int? steps) => _lastStepLine = DateTime.UtcNow;

        public override void StepReport(int epoch, int epochs, int step, int? steps, IReadOnlyDictionary<string, double> running, double imagesPerSecond)
        {
            if (DateTime.UtcNow - _lastStepLine < StepLineInterval) return;
            _lastStepLine = DateTime.UtcNow;
            writer.WriteLine($"epoch {epoch}/{epochs} step {step}{(steps is int n ? "/" + n : "")}  {Metrics(running)}  {imagesPerSecond.ToString("0", CultureInfo.InvariantCulture)} img/s");
            writer.Flush();
        }

        public override void EpochFinished(EpochSummary summary, int epochs)
        {
            writer.WriteLine(EpochLine(summary, epochs));
            writer.Flush();
        }

        public override void Message(string text)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }

    private sealed class Bar : TrainingProgress
    {
        private ProgressContext? _context;
        private ProgressTask? _task;

        public override T Run<T>(Func<T> body) =>
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    _context = ctx;
                    return body();
                });

        public override void EpochStarted(int epoch, int epochs, int? steps)
        {
            _task = _context!.AddTask(Markup.Escape($"epoch {epoch}/{epochs}"), maxValue: steps ?? 1);
            _task.IsIndeterminate = steps is null;
        }

        public override void Advance() => _task?.Increment(1);

        public override void StepReport(int epoch, int epochs, int step, int? steps, IReadOnlyDictionary<string, double> running, double imagesPerSecond)
        {
            if (_task is null) return;
            _task.Description = Markup.Escape($"epoch {epoch}/{epochs} {Metrics(running)} {imagesPerSecond.ToString("0", CultureInfo.InvariantCulture)} img/s");
        }

        public override void EpochFinished(EpochSummary summary, int epochs)
        {
            if (_task is null) return;
            _task.IsIndeterminate = false;
            _task.MaxValue = Math.Max(1, _task.Value);
            _task.Value = _task.MaxValue;
            _task.Description = Markup.Escape($"epoch {summary.Epoch}/{epochs}");
            _task.StopTask();
            AnsiConsole.MarkupLine(Markup.Escape(EpochLine(summary, epochs)));
        }

        public override void Message(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
    }
}
