using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>Opens one benchmark connection: Nagle off, bound to its planned source address, watched for timeouts.</summary>
internal sealed class Connector
{
    // Linux: IPPROTO_IP / IP_BIND_ADDRESS_NO_PORT. Lets bind() pick the port at connect time, per destination,
    // so a source address is not limited to one connection per ephemeral port across all destinations.
    private const int IpProtocolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private readonly BenchSettings _settings;
    private readonly SourceAddressPlan _sources;

    public Connector(BenchSettings settings, SourceAddressPlan sources)
    {
        _settings = settings;
        _sources = sources;
    }

    public async ValueTask<Socket> ConnectAsync(int connectionIndex, ConnectionWatch watch)
    {
        ArgumentNullException.ThrowIfNull(watch);
        var socket = new Socket(_settings.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            BindSource(socket, connectionIndex);
            watch.Attach(socket);
            watch.BeginWait();
            await socket.ConnectAsync(_settings.Target).ConfigureAwait(false);
            watch.EndWait();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void BindSource(Socket socket, int connectionIndex)
    {
        var source = _sources.SourceFor(connectionIndex);
        if (source is null)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, [1, 0, 0, 0]);
        }

        socket.Bind(source);
    }
}
