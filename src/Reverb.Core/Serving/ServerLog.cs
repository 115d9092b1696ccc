using Microsoft.Extensions.Logging;

namespace Reverb.Serving;

/// <summary>The serving log lines every model writes, in one format: listening, and each client's.</summary>
/// <remarks>Event ids 1–29 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, EventName = "Accepted", Level = LogLevel.Information, Message = "accepted {Peer} (worker {Pid})")]
    public static partial void Accepted(ILogger logger, string peer, int pid);

    [LoggerMessage(EventId = 3, EventName = "Proxied", Level = LogLevel.Information, Message = "client {Client} (worker {Pid})")]
    public static partial void Proxied(ILogger logger, string client, int pid);

    [LoggerMessage(EventId = 2, EventName = "Finished", Level = LogLevel.Information, Message = "finished {Peer} (worker {Pid}): {BytesIn} bytes in, {BytesOut} bytes out, {Seconds:0.000} s, {How}")]
    public static partial void Finished(ILogger logger, string peer, int pid, long bytesIn, long bytesOut, double seconds, string how);

    [LoggerMessage(EventId = 4, EventName = "RefusedPerSource", Level = LogLevel.Warning, Message = "refused {Peer}: that address already has {Max} connections (--max-conns-per-source){More}")]
    public static partial void RefusedPerSource(ILogger logger, string peer, int max, string more);

    [LoggerMessage(EventId = 5, EventName = "RejectedProxyHeader", Level = LogLevel.Warning, Message = "rejected {Peer}: {Reason}{More}")]
    public static partial void RejectedProxyHeader(ILogger logger, string peer, string reason, string more);

    [LoggerMessage(EventId = 21, EventName = "NoThread", Level = LogLevel.Error, Message = "closed {Peer}: no thread could be started for it ({Reason}: a pid or tasks limit?); serving the others{More}")]
    public static partial void NoThread(ILogger logger, string peer, string reason, string more);

    [LoggerMessage(EventId = 22, EventName = "UntrustedProxy", Level = LogLevel.Warning, Message = "rejected {Peer}: not a trusted proxy (--trusted-proxy), so its PROXY header is not believed{More}")]
    public static partial void UntrustedProxy(ILogger logger, string peer, string more);

    [LoggerMessage(EventId = 6, EventName = "Listening", Level = LogLevel.Information, Message = "listening on {Endpoint} (model {Model}, pid {Pid}; {Details})")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint endpoint, string model, int pid, string details);

    [LoggerMessage(EventId = 7, EventName = "AtClientLimit", Level = LogLevel.Warning, Message = "{Max} clients connected (--max-clients); new clients wait in the listen queue")]
    public static partial void AtClientLimit(ILogger logger, int max);

    [LoggerMessage(EventId = 8, EventName = "DrainTimedOut", Level = LogLevel.Warning, Message = "{Count} connections did not close in time")]
    public static partial void DrainTimedOut(ILogger logger, int count);

    [LoggerMessage(EventId = 9, EventName = "ServeFailed", Level = LogLevel.Error, Message = "unexpected error while serving {Peer}: {Error}")]
    public static partial void ServeFailed(ILogger logger, string peer, string error);
}
