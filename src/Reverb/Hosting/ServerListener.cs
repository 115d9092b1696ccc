using System.Net;
using System.Net.Sockets;
using Reverb.Commands;

namespace Reverb.Hosting;

/// <summary>Binds and listens, turning the usual failures into one clear sentence.</summary>
internal static class ServerListener
{
    public const int DefaultBacklog = 511;

    public static Socket Listen(ListenEndpoint endpoint, int backlog)
    {
        var socket = new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                // "::" serves IPv4 clients too (dual-stack).
                socket.DualMode = true;
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

    private static string Describe(SocketException ex, ListenEndpoint endpoint) => ex.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"port {endpoint.Port} is already in use",
        SocketError.AccessDenied => $"port {endpoint.Port} needs root privileges (ports below 1024 are privileged); run as root or choose a port above 1024, e.g. 'reverb serve 7007'",
        SocketError.AddressNotAvailable => $"cannot listen on {endpoint.Address}: that address is not on this machine",
        _ => $"cannot listen on {endpoint}: {ex.Message}",
    };
}
