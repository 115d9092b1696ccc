using System.Net;
using Microsoft.Extensions.Logging;

namespace Reverb.Udp;

/// <summary>The UDP echo's log events.</summary>
/// <remarks>Event ids 140–159 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class UdpLog
{
    [LoggerMessage(EventId = 140, EventName = "UdpStarted", Level = LogLevel.Information, Message = "udp echo on {Endpoint} (in the master process, pid {Pid}; {Limit}; no replies to source ports {Ports}: loop protection)")]
    public static partial void Started(ILogger logger, EndPoint? endpoint, int pid, string limit, string ports);

    [LoggerMessage(EventId = 141, EventName = "UdpStopped", Level = LogLevel.Information, Message = "udp echo stopped: {Echoed} datagrams echoed, {Refused} refused")]
    public static partial void Stopped(ILogger logger, long echoed, long refused);

    [LoggerMessage(EventId = 142, EventName = "UdpNotBeside", Level = LogLevel.Warning, Message = "udp: no UDP echo beside {Endpoint}: not an IP address")]
    public static partial void NotBeside(ILogger logger, EndPoint? endpoint);

    [LoggerMessage(EventId = 143, EventName = "UdpRefused", Level = LogLevel.Warning, Message = "udp: refused {Count} datagram(s) from {Source}{Others} ({Reason}); such refusals are reported at most every {Interval:0} s")]
    public static partial void Refused(ILogger logger, long count, string source, string others, string reason, double interval);

    [LoggerMessage(EventId = 144, EventName = "UdpReplyFailed", Level = LogLevel.Debug, Message = "udp: reply to {Source} failed: {Error}")]
    public static partial void ReplyFailed(ILogger logger, string source, System.Net.Sockets.SocketError error);

    [LoggerMessage(EventId = 145, EventName = "UdpLoopFailed", Level = LogLevel.Error, Message = "udp echo on {Endpoint} stopped: {Error}")]
    public static partial void LoopFailed(ILogger logger, EndPoint? endpoint, string error);
}
