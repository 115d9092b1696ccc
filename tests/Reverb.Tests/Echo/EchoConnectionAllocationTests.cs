using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Reverb.Echo;

namespace Reverb.Tests.Echo;

/// <summary>
/// The echo loop's hot path allocates nothing per message. Measured in-process on a real loopback
/// connection: the blocking loop runs on one thread, so that thread's allocation counter is exact.
/// </summary>
public sealed class EchoConnectionAllocationTests
{
    [Fact]
    public async Task Echoing_ten_thousand_messages_allocates_nothing_per_message()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket server = await listener.AcceptAsync();

        const int Messages = 10_000;
        long allocated = -1;
        EchoResult result = default;
        var serverThread = new Thread(() =>
        {
            var connection = new EchoConnection(server, EchoOptions.Default, NullLogger.Instance, "test", blocking: true);

            // The pool's first rent allocates the array it then recycles: pay for it before counting.
            System.Buffers.ArrayPool<byte>.Shared.Return(System.Buffers.ArrayPool<byte>.Shared.Rent(EchoOptions.DefaultBufferSize));
            long before = 0;
            Task<EchoResult> run = RunCounting(connection, () => before = GC.GetAllocatedBytesForCurrentThread());
            result = run.GetAwaiter().GetResult();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });

        serverThread.Start();
        byte[] message = new byte[64];
        byte[] echo = new byte[64];
        for (int i = 0; i < Messages; i++)
        {
            message[0] = (byte)i;
            await client.SendAsync(message, SocketFlags.None);
            int read = 0;
            while (read < echo.Length)
            {
                read += await client.ReceiveAsync(echo.AsMemory(read), SocketFlags.None);
            }

            Assert.Equal(message, echo);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.True(serverThread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(EchoEnd.ClientClosed, result.End);
        Assert.Equal(Messages * 64L, result.BytesIn);

        // The whole session (set-up included) stays under a few KB: far below one byte per message.
        Assert.InRange(allocated, 0, 8 * 1024);
    }

    private static Task<EchoResult> RunCounting(EchoConnection connection, Action markStart)
    {
        markStart();
        return connection.RunAsync(CancellationToken.None);
    }
}
