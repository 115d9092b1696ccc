using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Listening;

namespace Reverb.Serving;

/// <summary>
/// inetd "nowait" and systemd Accept=yes: the service manager accepted the connection and started
/// this process with it on standard input. Echo it with the shared loop, then exit.
/// </summary>
internal static class InetdConnection
{
    public const int StandardInput = 0;

    public static async Task<EchoResult> ServeAsync(ClientSession session, TimeSpan drain, ILogger logger, CancellationToken stop)
    {
        using var socket = new Socket(new SafeSocketHandle(StandardInput, ownsHandle: true));
        if (socket.SocketType != SocketType.Stream)
        {
            throw new ServerStartException("--inetd: standard input is not a TCP connection (start it from inetd or a systemd socket with Accept=yes)");
        }

        string peer = AcceptLoopServer.PeerName(socket);
        ServerLog.Accepted(logger, peer, Environment.ProcessId);
        using var close = new CancellationTokenSource();
        using CancellationTokenRegistration onStop = stop.Register(() => close.CancelAfter(drain));
        string name = peer;
        EchoResult result = await session.RunAsync(socket, peer, blocking: false, new EchoCounters(), (real, _) => ServerLog.Proxied(logger, name = real, Environment.ProcessId), close.Token).ConfigureAwait(false);
        ServerLog.Finished(logger, name, Environment.ProcessId, result.BytesIn, result.BytesOut, result.Duration.TotalSeconds, result.End.ToText());
        return result;
    }

    /// <summary>
    /// Whether standard error is a place for logs: under plain inetd it is the client's socket too,
    /// and a log line there would be echoed data the client never sent.
    /// </summary>
    public static bool StandardErrorIsSeparate()
    {
        try
        {
            string? input = new FileInfo("/proc/self/fd/0").LinkTarget;
            string? error = new FileInfo("/proc/self/fd/2").LinkTarget;
            return error is not null && error != input;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
