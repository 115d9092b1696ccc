using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary>--max-conns-per-source in every model: the extra connection is closed at once and logged; others are unaffected.</summary>
public sealed class PerSourceLimitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task An_extra_connection_from_the_same_address_is_closed_at_once_and_logged(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--max-conns-per-source", "2"));
        using var first = await EchoClient.ConnectAsync(server);
        using var second = await EchoClient.ConnectAsync(server);
        Assert.Equal("1"u8.ToArray(), await first.RoundTripAsync("1"u8.ToArray()));
        Assert.Equal("2"u8.ToArray(), await second.RoundTripAsync("2"u8.ToArray()));

        using (var third = await EchoClient.ConnectAsync(server))
        {
            // Closed by the server without a byte: a served client would wait here until the timeout.
            (byte[] data, _) = await third.ReadToEndAsync(Timeout);
            Assert.Empty(data);
            string line = await server.WaitForLineAsync($"refused 127.0.0.1:{third.LocalPort}", Timeout);
            Assert.Contains("already has 2 connections (--max-conns-per-source)", line, StringComparison.Ordinal);
        }

        // Another address is not held back by this one's limit.
        using (var elsewhere = await EchoClient.ConnectFromAsync(server, IPAddress.Parse("127.0.0.2")))
        {
            Assert.Equal("other"u8.ToArray(), await elsewhere.RoundTripAsync("other"u8.ToArray()));
        }

        // The clients already in are unaffected, and a place freed is a place for the next.
        Assert.Equal("still"u8.ToArray(), await first.RoundTripAsync("still"u8.ToArray()));
        second.Dispose();
        await Eventually.AssertAsync(
            async () =>
            {
                using var next = await EchoClient.ConnectAsync(server);
                return await TryRoundTripAsync(next);
            },
            Timeout,
            "a new client is served once the second has gone");
    }

    private static async Task<bool> TryRoundTripAsync(EchoClient client)
    {
        try
        {
            client.Socket.Send("again"u8);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return (await client.ReadExactlyAsync(5, cts.Token)).AsSpan().SequenceEqual("again"u8);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or EndOfStreamException or IOException)
        {
            return false;
        }
    }
}
