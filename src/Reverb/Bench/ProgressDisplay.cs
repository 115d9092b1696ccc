using System.Globalization;
using Spectre.Console;

namespace Reverb.Bench;

/// <summary>
/// The live progress line: redrawn four times a second on a terminal; when output is redirected (tests, CI,
/// pipes) a plain line on stderr once a second instead, so stdout keeps only the final table.
/// </summary>
internal sealed class ProgressDisplay
{
    private static readonly TimeSpan TerminalPeriod = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PlainPeriod = TimeSpan.FromSeconds(1);

    private readonly IBenchRun _run;
    private ProgressSnapshot _previous;

    public ProgressDisplay(IBenchRun run)
    {
        _run = run;
        _previous = run.Sample();
    }

    public static bool IsTerminal => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Shows progress until <paramref name="running"/> finishes.</summary>
    public async Task ShowUntilAsync(Task running)
    {
        ArgumentNullException.ThrowIfNull(running);
        if (IsTerminal)
        {
            await AnsiConsole.Live(new Markup(string.Empty))
                .AutoClear(true)
                .StartAsync(async live =>
                {
                    while (!await CompletesWithinAsync(running, TerminalPeriod).ConfigureAwait(false))
                    {
                        live.UpdateTarget(new Markup(Markup.Escape(Describe(TerminalPeriod))));
                        live.Refresh();
                    }
                }).ConfigureAwait(false);
            return;
        }

        while (!await CompletesWithinAsync(running, PlainPeriod).ConfigureAwait(false))
        {
            await Console.Error.WriteLineAsync(Describe(PlainPeriod)).ConfigureAwait(false);
        }
    }

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan limit)
    {
        await Task.WhenAny(task, Task.Delay(limit)).ConfigureAwait(false);
        return task.IsCompleted;
    }

    private string Describe(TimeSpan period)
    {
        ProgressSnapshot now = _run.Sample();
        double seconds = Math.Max(now.ElapsedSeconds - _previous.ElapsedSeconds, period.TotalSeconds / 10);
        double rate = (now.Totals.RoundTrips - _previous.Totals.RoundTrips) / seconds;
        double megabytes = (now.Totals.Bytes - _previous.Totals.Bytes) / seconds / 1_000_000;
        _previous = now;

        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"[{now.ElapsedSeconds,5:F1}s] {now.Phase}: {rate,10:N0} echoes/s {megabytes,8:N2} MB/s | errors {now.Totals.Errors:N0} timeouts {now.Totals.Timeouts:N0} mismatches {now.Totals.Mismatches:N0}");
        return now.Established is { } established
            ? string.Create(CultureInfo.InvariantCulture, $"[{now.ElapsedSeconds,5:F1}s] {now.Phase}: {established:N0} established | errors {now.Totals.Errors:N0} timeouts {now.Totals.Timeouts:N0}")
            : line;
    }
}
