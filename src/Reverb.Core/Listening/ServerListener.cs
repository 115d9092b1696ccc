using System.Net;
using System.Net.Sockets;

namespace Reverb.Listening;

/// <summary>Binds and listens, turning the usual failures into one clear sentence.</summary>
internal static class ServerListener
{
    public const int DefaultBacklog = 511;
    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoReuseAddr = 2;

    /// <summary>
    /// Listens on every endpoint, all on one port: with port 0 the first picks a free port and the
    /// others take the same. On failure, the sockets already bound are closed.
    /// </summary>
    /// <param name="reusePort">Bind with SO_REUSEPORT so that <see cref="Sibling"/> can add sockets with queues of their own.</param>
    public static IReadOnlyList<Socket> ListenAll(IReadOnlyList<ListenEndpoint> endpoints, int backlog, bool reusePort = false)
    {
        // "::" also takes IPv4 clients, unless IPv4 is asked for separately (both on one port would clash).
        bool separateIPv4 = endpoints.Any(e => e.Address.AddressFamily == AddressFamily.InterNetwork);
        var listeners = new List<Socket>();
        try
        {
            int port = endpoints[0].Port;
            foreach (ListenEndpoint endpoint in endpoints.Distinct())
            {
                Socket listener = Listen(endpoint with { Port = port }, backlog, dualStack: !separateIPv4, reusePort);
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

    /// <summary>
    /// Another listening socket on the same address and port as <paramref name="primary"/> (both
    /// SO_REUSEPORT): the kernel spreads new connections over the group by a hash of their addresses,
    /// and each socket keeps its own queue as long as anyone holds it open.
    /// </summary>
    public static Socket Sibling(Socket primary, int backlog)
    {
        var bound = (IPEndPoint)primary.LocalEndPoint!;
        bool dualStack = bound.AddressFamily == AddressFamily.InterNetworkV6 && primary.DualMode;
        return Listen(new ListenEndpoint(bound.Address, bound.Port), backlog, dualStack, reusePort: true, probe: false);
    }

    public static Socket Listen(ListenEndpoint endpoint, int backlog, bool dualStack = true, bool reusePort = false, bool probe = true)
    {
        if (reusePort && probe && endpoint.Port != 0)
        {
            // SO_REUSEPORT would let us join another server's group on this port silently: a plain
            // bind first turns that into the usual "already in use" (and makes later servers fail the same way).
            Bind(endpoint, dualStack, reusePort: false).Dispose();
        }

        Socket socket = Bind(endpoint, dualStack, reusePort);
        try
        {
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ServerStartException(Describe(ex, endpoint), ex);
        }
    }

    /// <summary>Whether the socket was bound with SO_REUSEPORT (so siblings can join it).</summary>
    public static bool HasReusePort(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        return socket.GetRawSocketOption(SolSocket, SoReusePort, value) == 4 && BitConverter.ToInt32(value) != 0;
    }

    private static Socket Bind(ListenEndpoint endpoint, bool dualStack, bool reusePort)
    {
        var socket = new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (reusePort)
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            if (endpoint.Address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "::" serves IPv4 clients too (dual-stack) unless IPv4 has listeners of its own.
                socket.DualMode = dualStack && endpoint.Address.Equals(IPAddress.IPv6Any);
            }

            // Lets a restarted server bind while old connections sit in TIME_WAIT. Set raw: .NET's
            // ReuseAddress also sets SO_REUSEPORT on Linux, which would let a second server share the port.
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ServerStartException(Describe(ex, endpoint), ex);
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
