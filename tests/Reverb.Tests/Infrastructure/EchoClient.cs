using System.Net.Sockets;

namespace Reverb.Tests.Infrastructure;

/// <summary>A plain test-side TCP client with bounded helpers for echo round trips.</summary>
public sealed class EchoClient : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private EchoClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    public int LocalPort => ((System.Net.IPEndPoint)Socket.LocalEndPoint!).Port;

    public static Task<EchoClient> ConnectAsync(ReverbServer server) => ConnectFromAsync(server, null);

    /// <summary>Connects from a chosen local address (e.g. 127.0.0.2: another source on loopback).</summary>
    public static Task<EchoClient> ConnectFromAsync(ReverbServer server, System.Net.IPAddress? local) =>
        ConnectToAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(server.Host), server.Port), local);

    /// <summary>Connects to any IPv4 echo server (a reverb started by other means, say).</summary>
    public static async Task<EchoClient> ConnectToAsync(System.Net.IPEndPoint server, System.Net.IPAddress? local = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (local is not null)
            {
                socket.Bind(new System.Net.IPEndPoint(local, 0));
            }

            using var cts = new CancellationTokenSource(Timeout);
            await socket.ConnectAsync(server, cts.Token);
            return new EchoClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="data"/> while reading its echo concurrently; returns what came back.</summary>
    public async Task<byte[]> RoundTripAsync(byte[] data)
    {
        using var cts = new CancellationTokenSource(Timeout);
        Task send = Socket.SendAsync(data, SocketFlags.None, cts.Token).AsTask();
        byte[] received = await ReadExactlyAsync(data.Length, cts.Token);
        await send;
        return received;
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await Socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"server closed after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Reads until the server closes (or resets); returns everything read and whether it ended cleanly.</summary>
    public async Task<(byte[] Data, bool Clean)> ReadToEndAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var all = new MemoryStream();
        byte[] buffer = new byte[65536];
        try
        {
            while (true)
            {
                int n = await Socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (all.ToArray(), true);
                }

                all.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            return (all.ToArray(), false);
        }
    }

    public void Dispose() => Socket.Dispose();
}
