using System.Net;
using System.Net.Sockets;

namespace Reverb.Tests.Bench;

/// <summary>
/// A deliberately broken TCP echo server inside the test process, on 127.0.0.1 and a free port: it corrupts
/// the echo (flips one byte of every chunk) or resets each connection after its first read. The well-behaved
/// server in the tests is the real Reverb.
/// </summary>
public sealed class TestEchoServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly EchoBehaviour _behaviour;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private TestEchoServer(EchoBehaviour behaviour)
    {
        _behaviour = behaviour;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(backlog: 4096);
        _acceptLoop = AcceptAsync();
    }

    public enum EchoBehaviour
    {
        CorruptEveryChunk,
        ResetAfterFirstRead,
    }

    public string Host { get; } = "127.0.0.1";

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static TestEchoServer Start(EchoBehaviour behaviour) => new(behaviour);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = EchoAsync(client);
        }
    }

    private async Task EchoAsync(Socket client)
    {
        using (client)
        {
            byte[] buffer = new byte[64 * 1024];
            try
            {
                int count;
                while ((count = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
                {
                    switch (_behaviour)
                    {
                        case EchoBehaviour.ResetAfterFirstRead:
                            client.LingerState = new LingerOption(true, 0); // close() now sends RST
                            return;
                        default:
                            buffer[count / 2] ^= 0x5A;
                            break;
                    }

                    await client.SendAsync(buffer.AsMemory(0, count), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client went away or the test is over.
            }
        }
    }
}
