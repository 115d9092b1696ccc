using System.Net.Sockets;
using System.Text;

namespace Reverb.Client;

/// <summary>
/// The UDP echo client: each typed line, or in pipe mode each chunk of input up to the largest UDP payload,
/// is one datagram; every datagram must be answered within the timeout.
/// </summary>
internal sealed class UdpEchoClient
{
    /// <summary>The largest payload of one IPv4 UDP datagram.</summary>
    public const int MaxDatagram = 65_507;

    private readonly ClientSettings _settings;

    public UdpEchoClient(ClientSettings settings)
    {
        _settings = settings;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(_settings.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);

        // A connected UDP socket only accepts replies from the server and reports ICMP "port unreachable".
        await socket.ConnectAsync(_settings.Target, cancellationToken).ConfigureAwait(false);
        using Stream output = Console.OpenStandardOutput();
        byte[] reply = new byte[MaxDatagram];
        if (_settings.Interactive)
        {
            await Console.Error.WriteLineAsync($"sending datagrams to {_settings.Display}; type lines to echo, Ctrl-D to quit").ConfigureAwait(false);
            while (await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                byte[] datagram = Encoding.UTF8.GetBytes(line + "\n");
                await EchoAsync(socket, datagram, reply, output, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }

        using Stream input = Console.OpenStandardInput();
        byte[] buffer = new byte[MaxDatagram];
        int count;
        while ((count = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await EchoAsync(socket, buffer.AsMemory(0, count), reply, output, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private async Task EchoAsync(Socket socket, ReadOnlyMemory<byte> datagram, byte[] reply, Stream output, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.Timeout);
        try
        {
            await socket.SendAsync(datagram, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            int count = await socket.ReceiveAsync(reply, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            await output.WriteAsync(reply.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new EchoClientException($"no reply from {_settings.Display} within {_settings.Timeout.TotalSeconds:0.###}s");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            throw new EchoClientException($"no UDP echo server at {_settings.Display}: port unreachable");
        }
        catch (SocketException ex)
        {
            throw new EchoClientException($"cannot send to {_settings.Display}: {SocketErrorText.Describe(ex)}");
        }
    }
}
