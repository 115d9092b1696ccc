using System.Net;
using System.Net.Sockets;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// One whole conversation with any echo endpoint: connect, send everything (while reading, so a large
/// payload cannot stall on full buffers), half-close, and read until the server closes.
/// </summary>
public static class OneShotExchange
{
    public sealed record Outcome(byte[] Echoed, int LocalPort);

    public static async Task<Outcome> RunAsync(IPEndPoint server, byte[] data, TimeSpan timeout)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(server, cts.Token);
        Task send = Task.Run(async () =>
        {
            await socket.SendAsync(data, SocketFlags.None, cts.Token);
            socket.Shutdown(SocketShutdown.Send);
        });

        var echoed = new MemoryStream();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            echoed.Write(buffer, 0, n);
        }

        await send;
        return new Outcome(echoed.ToArray(), ((IPEndPoint)socket.LocalEndPoint!).Port);
    }

    /// <summary>A loopback TCP port that was free a moment ago, for programs that must be told their port.</summary>
    public static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
