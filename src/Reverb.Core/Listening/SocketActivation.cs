using System.Globalization;
using System.Net.Sockets;
using Reverb.Interop;

namespace Reverb.Listening;

/// <summary>
/// systemd socket activation (Accept=no): sockets passed as descriptors 3, 4, ... with LISTEN_FDS and
/// LISTEN_PID (sd_listen_fds(3)): listening TCP sockets (ListenStream=) and UDP sockets
/// (ListenDatagram=), in any order. The variables are removed once read, and the descriptors made
/// close-on-exec, so worker processes inherit neither.
/// </summary>
internal static class SocketActivation
{
    private const int FirstDescriptor = 3;

    /// <summary>The passed sockets, or null when this process was not socket-activated.</summary>
    public static PassedSockets? TakeSockets()
    {
        string? pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        if (pid is null || count is null || pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            throw new ServerStartException($"socket activation: LISTEN_FDS='{count}' is not a positive number");
        }

        var listeners = new List<Socket>(n);
        var datagrams = new List<Socket>();
        for (int fd = FirstDescriptor; fd < FirstDescriptor + n; fd++)
        {
            UnixChannelSocket.SetCloseOnExec(fd, enabled: true);
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            if (Refusal(socket, fd) is { } refusal)
            {
                // Refused here, before anything starts, with every passed socket closed.
                socket.Dispose();
                listeners.ForEach(l => l.Dispose());
                datagrams.ForEach(d => d.Dispose());
                throw new ServerStartException(refusal);
            }

            (socket.SocketType == SocketType.Dgram ? datagrams : listeners).Add(socket);
        }

        if (listeners.Count == 0)
        {
            // Every model, the status socket and the readiness lines are built around a TCP listener.
            datagrams.ForEach(d => d.Dispose());
            throw new ServerStartException($"socket activation passed {datagrams.Count} UDP socket(s) but no listening TCP socket; add a ListenStream= beside ListenDatagram= in the socket unit");
        }

        return new PassedSockets(listeners, datagrams);
    }

    /// <summary>Why reverb cannot serve this socket, in one line; null when it can.</summary>
    private static string? Refusal(Socket socket, int fd)
    {
        if (socket.AddressFamily == AddressFamily.Unix)
        {
            // Every model names, limits and logs clients by IP address; the UDP guard needs the source port.
            string path = socket.LocalEndPoint?.ToString() is { Length: > 0 } name ? name : "unnamed";
            string kind = socket.SocketType switch { SocketType.Stream => "stream", SocketType.Dgram => "dgram", _ => "seqpacket" };
            return $"socket activation passed a Unix-domain socket ({path}, {kind}, descriptor {fd}); reverb serves TCP and UDP only";
        }

        if (socket.SocketType == SocketType.Dgram && socket.ProtocolType == ProtocolType.Udp)
        {
            return null;
        }

        if (socket.SocketType == SocketType.Stream && IsListening(socket))
        {
            return null;
        }

        return $"socket activation: descriptor {fd} is neither a listening TCP socket nor a UDP socket (for one connection per process, use Accept=yes with 'reverb serve --inetd')";
    }

    private static bool IsListening(Socket socket) =>
        (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0;
}
