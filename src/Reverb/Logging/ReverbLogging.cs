using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Reverb.Logging;

/// <summary>One-line, timestamped console logs for every reverb process (master and workers alike).</summary>
internal static class ReverbLogging
{
    public static ILoggerFactory Create(LogLevel minimum) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum);
        builder.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = false;
            options.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            options.UseUtcTimestamp = false;
            options.ColorBehavior = LoggerColorBehavior.Disabled;
        });
    });

    public static LogLevel LevelFor(bool verbose, bool quiet) => verbose ? LogLevel.Debug : quiet ? LogLevel.Warning : LogLevel.Information;
}
