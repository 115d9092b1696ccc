using System.Net;
using System.Net.Sockets;

namespace Reverb.Tests.Infrastructure;

/// <summary>A loopback TCP port held by someone else (a plain listening socket), for "port in use" errors.</summary>
public sealed class TakenPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public TakenPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Listen();
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
