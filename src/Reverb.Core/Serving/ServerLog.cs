using Microsoft.Extensions.Logging;

namespace Reverb.Serving;

/// <summary>The per-client log lines every model writes, in one format.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "accepted {Peer} (worker {Pid})")]
    public static partial void Accepted(ILogger logger, string peer, int pid);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "client {Client} (worker {Pid})")]
    public static partial void Proxied(ILogger logger, string client, int pid);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "finished {Peer} (worker {Pid}): {BytesIn} bytes in, {BytesOut} bytes out, {Seconds:0.000} s, {How}")]
    public static partial void Finished(ILogger logger, string peer, int pid, long bytesIn, long bytesOut, double seconds, string how);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "refused {Peer}: that address already has {Max} connections (--max-conns-per-source){More}")]
    public static partial void RefusedPerSource(ILogger logger, string peer, int max, string more);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "rejected {Peer}: {Reason}{More}")]
    public static partial void RejectedProxyHeader(ILogger logger, string peer, string reason, string more);
    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "closed {Peer}: no thread could be started for it ({Reason}: a pid or tasks limit?); serving the others{More}")]
    public static partial void NoThread(ILogger logger, string peer, string reason, string more);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "rejected {Peer}: not a trusted proxy (--trusted-proxy), so its PROXY header is not believed{More}")]
    public static partial void UntrustedProxy(ILogger logger, string peer, string more);
}
