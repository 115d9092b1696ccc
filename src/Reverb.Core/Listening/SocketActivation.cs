using System.Globalization;
using System.Net.Sockets;
using Reverb.Interop;

namespace Reverb.Listening;

/// <summary>
/// systemd socket activation (Accept=no): listening sockets passed as descriptors 3, 4, ... with
/// LISTEN_FDS and LISTEN_PID (sd_listen_fds(3)). The variables are removed once read, and the
/// descriptors made close-on-exec, so worker processes inherit neither.
/// </summary>
internal static class SocketActivation
{
    private const int FirstDescriptor = 3;

    /// <summary>The passed listening sockets, or null when this process was not socket-activated.</summary>
    public static IReadOnlyList<Socket>? TakeListeners()
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
        for (int fd = FirstDescriptor; fd < FirstDescriptor + n; fd++)
        {
            UnixChannelSocket.SetCloseOnExec(fd, enabled: true);
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            if (socket.AddressFamily == AddressFamily.Unix)
            {
                // Refused here, before anything starts: every model names, limits and logs clients by IP address.
                string path = socket.LocalEndPoint?.ToString() is { Length: > 0 } name ? name : "unnamed";
                socket.Dispose();
                listeners.ForEach(l => l.Dispose());
                throw new ServerStartException($"socket activation passed a Unix-domain socket ({path}, descriptor {fd}); reverb serves TCP and UDP only");
            }

            if (socket.SocketType != SocketType.Stream || !IsListening(socket))
            {
                throw new ServerStartException($"socket activation: descriptor {fd} is not a listening TCP socket (for one connection per process, use Accept=yes with 'reverb serve --inetd')");
            }

            listeners.Add(socket);
        }

        return listeners;
    }

    private static bool IsListening(Socket socket) =>
        (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection)! != 0;
}
