using System.Net;
using System.Net.Sockets;
using Reverb.Commands;

namespace Reverb.Hosting;

/// <summary>Binds and listens, turning the usual failures into one clear sentence.</summary>
internal static class ServerListener
{
    public const int DefaultBacklog = 511;

    /// <summary>
    /// Listens on every endpoint, all on one port: with port 0 the first picks a free port and the
    /// others take the same. On failure, the sockets already bound are closed.
    /// </summary>
    public static IReadOnlyList<Socket> ListenAll(IReadOnlyList<ListenEndpoint> endpoints, int backlog)
    {
        // "::" also takes IPv4 clients, unless IPv4 is asked for separately (both on one port would clash).
        bool separateIPv4 = endpoints.Any(e => e.Address.AddressFamily == AddressFamily.InterNetwork);
        var listeners = new List<Socket>();
        try
        {
            int port = endpoints[0].Port;
            foreach (ListenEndpoint endpoint in endpoints.Distinct())
            {
                Socket listener = Listen(endpoint with { Port = port }, backlog, dualStack: !separateIPv4);
                listeners.Add(listener);
                port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            }

            return listeners;
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
    }

    public static Socket Listen(ListenEndpoint endpoint, int backlog, bool dualStack = true)
    {
        var socket = new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "::" serves IPv4 clients too (dual-stack) unless IPv4 has listeners of its own.
                socket.DualMode = dualStack && endpoint.Address.Equals(IPAddress.IPv6Any);
            }

            // Lets a restarted server bind while old connections sit in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new CliException(Describe(ex, endpoint), ex);
        }
    }

    internal static string Describe(SocketException ex, ListenEndpoint endpoint) => ex.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"port {endpoint.Port} is already in use",
        SocketError.AccessDenied => $"port {endpoint.Port} needs root privileges (ports below 1024 are privileged); run as root or choose a port above 1024, e.g. 'reverb serve 7007'",
        SocketError.AddressNotAvailable => $"cannot listen on {endpoint.Address}: that address is not on this machine",
        _ => $"cannot listen on {endpoint}: {ex.Message}",
    };
}
