using Microsoft.Extensions.Logging;

namespace Reverb.Hosting;

/// <summary>The log events of the process's hosting: signals and systemd's notification.</summary>
/// <remarks>Event ids 30–39 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 30, EventName = "SystemdNotified", Level = LogLevel.Information, Message = "told systemd we are ready (NOTIFY_SOCKET){Watchdog}")]
    public static partial void SystemdNotified(ILogger logger, string watchdog);

    [LoggerMessage(EventId = 31, EventName = "SystemdNotifyFailed", Level = LogLevel.Warning, Message = "cannot notify systemd over NOTIFY_SOCKET: {Reason}{More}")]
    public static partial void SystemdNotifyFailed(ILogger logger, string reason, string more);

    [LoggerMessage(EventId = 32, EventName = "HangupIgnored", Level = LogLevel.Warning, Message = "SIGHUP: reload is not supported; ignored (stop with SIGTERM)")]
    public static partial void HangupIgnored(ILogger logger);

    [LoggerMessage(EventId = 33, EventName = "SystemdNotifierFailed", Level = LogLevel.Error, Message = "systemd notification stopped (no more STATUS= or WATCHDOG=1): {Error}")]
    public static partial void SystemdNotifierFailed(ILogger logger, string error);
}
