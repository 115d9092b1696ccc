using Microsoft.Extensions.Logging;

namespace Reverb.Commands;

/// <summary>The serve command's log events: how it starts and how it stops.</summary>
/// <remarks>Event ids 100–119 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class ServeLog
{
    [LoggerMessage(EventId = 100, EventName = "DescriptorLimit", Level = LogLevel.Debug, Message = "descriptor limit: {Limit}")]
    public static partial void DescriptorLimit(ILogger logger, ulong limit);

    [LoggerMessage(EventId = 101, EventName = "SocketsPassed", Level = LogLevel.Information, Message = "serving {Tcp} TCP listening socket(s) and {Udp} UDP socket(s) passed by the service manager (LISTEN_FDS); PORT and --host are not used{UdpNote}")]
    public static partial void SocketsPassed(ILogger logger, int tcp, int udp, string udpNote);

    [LoggerMessage(EventId = 102, EventName = "MetricsOn", Level = LogLevel.Information, Message = "metrics on {Url}")]
    public static partial void MetricsOn(ILogger logger, string url);

    [LoggerMessage(EventId = 103, EventName = "Stopping", Level = LogLevel.Information, Message = "{Signal}: stopping; open clients have up to {Drain:0.###} s to finish (a second SIGTERM or Ctrl-C stops at once)")]
    public static partial void Stopping(ILogger logger, string? signal, double drain);

    [LoggerMessage(EventId = 104, EventName = "StoppingNow", Level = LogLevel.Warning, Message = "second {Signal} during the drain: stopping now")]
    public static partial void StoppingNow(ILogger logger, string signal);

    [LoggerMessage(EventId = 105, EventName = "Stopped", Level = LogLevel.Information, Message = "stopped ({Signal}); all clients and workers are gone")]
    public static partial void Stopped(ILogger logger, string signal);
}
