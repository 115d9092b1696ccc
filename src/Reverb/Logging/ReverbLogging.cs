using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Reverb.Logging;

/// <summary>
/// Console logs for every reverb process (master and workers alike): one line per event; under
/// journald (JOURNAL_STREAM) with the syslog priority prefix it understands, unless JSON is asked for.
/// </summary>
internal static class ReverbLogging
{
    /// <summary>Lines waiting for a slow console before new ones are dropped (a few hundred kB at most).</summary>
    public const int MaxQueuedLines = 2048;

    public static ILoggerFactory Create(LogLevel minimum, LogFormat format = LogFormat.Text, bool toStandardError = false) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);

        builder.AddConsole(options =>
        {
            // Where standard output is a client's socket (inetd), every line must go to standard error.
            options.LogToStandardErrorThreshold = toStandardError ? LogLevel.Trace : LogLevel.None;

            // The console is written by a thread of its own from a queue. When output is slow or
            // blocked (a pipe nobody reads), a full queue would block every thread that logs, echo
            // paths included: drop the line instead. The logger counts what it dropped and says so
            // ("N message(s) dropped because of queue size limit") once writing resumes.
            options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
            options.MaxQueueLength = MaxQueuedLines;
        });
        if (format == LogFormat.Json)
        {
            builder.AddJsonConsole(ConfigureJson);
            return;
        }

        if (UnderJournald())
        {
            // Started by systemd with its output going to the journal: "<6>reverb.master[6] ..." lines,
            // whose syslog priority prefix journald reads (journalctl -p warning), and no timestamp of our own.
            builder.AddSystemdConsole(options => options.IncludeScopes = false);
            return;
        }

        builder.AddSimpleConsole(ConfigureText);
    });

    /// <summary>systemd sets JOURNAL_STREAM when the service's standard output or error is connected to the journal.</summary>
    public static bool UnderJournald() => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    /// <summary>JSON lines: UTC timestamps, no scopes (a forked child writes the same shape itself).</summary>
    public static void ConfigureJson(JsonConsoleFormatterOptions options)
    {
        options.IncludeScopes = false;
        options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        options.UseUtcTimestamp = true;
    }

    /// <summary>Text lines: one per event, local time, no colours (a forked child writes the same shape itself).</summary>
    public static void ConfigureText(SimpleConsoleFormatterOptions options)
    {
        options.SingleLine = true;
        options.IncludeScopes = false;
        options.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
        options.UseUtcTimestamp = false;
        options.ColorBehavior = LoggerColorBehavior.Disabled;
    }

    public static LogLevel LevelFor(bool verbose, bool quiet) => verbose ? LogLevel.Debug : quiet ? LogLevel.Warning : LogLevel.Information;
}
