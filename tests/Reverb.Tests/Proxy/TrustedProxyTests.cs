using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Proxy;

/// <summary>
/// --trusted-proxy with real servers: headers believed only from the listed peers (127.0.0.2 plays
/// the proxy, 127.0.0.1 a client that forges a header), and --max-conns-per-source counting the
/// real client behind a trusted proxy. (The process model gets the same from its own pool.)
/// </summary>
public sealed class TrustedProxyTests
{
    private static readonly IPAddress Proxy = IPAddress.Parse("127.0.0.2");

    public static TheoryData<string> Models => new() { "process", "threads", "async", "workers" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task A_header_is_believed_only_from_a_trusted_proxy(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol", "--trusted-proxy", "127.0.0.2/32", "--trusted-proxy", "2001:db8::/32"));

        // A forged header from a peer that is not a trusted proxy: no echo, one line.
        for (int i = 0; i < 20; i++)
        {
            using var forger = await EchoClient.ConnectFromAsync(server, IPAddress.Loopback);
            await forger.Socket.SendAsync("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\nforged"u8.ToArray(), SocketFlags.None);
            (byte[] echoed, _) = await forger.ReadToEndAsync(EchoClient.Timeout);
            Assert.Empty(echoed);
        }

        string rejected = await server.WaitForLineAsync("not a trusted proxy (--trusted-proxy)", EchoClient.Timeout);
        Assert.Contains("rejected 127.0.0.1:", rejected, StringComparison.Ordinal);

        // The same header from the proxy is believed.
        using var proxied = await EchoClient.ConnectFromAsync(server, Proxy);
        await proxied.Socket.SendAsync("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("real"u8.ToArray(), await proxied.RoundTripAsync("real"u8.ToArray()));
        await server.WaitForLineAsync($"client 203.0.113.7:4242 via 127.0.0.2:{proxied.LocalPort}", EchoClient.Timeout);

        // Twenty rejections, a bounded number of lines.
        Assert.InRange(server.Lines.Count(l => l.Contains("not a trusted proxy", StringComparison.Ordinal)), 1, 2 * ProcessesOf(model));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Behind_a_trusted_proxy_the_per_source_limit_counts_the_real_client(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol", "--trusted-proxy", "127.0.0.2", "--max-conns-per-source", "1"));

        // Two real clients through one proxy: both served (the proxy itself is not what is counted).
        using var first = await ViaProxyAsync(server, "198.51.100.1");
        using var second = await ViaProxyAsync(server, "198.51.100.2");
        Assert.Equal("one"u8.ToArray(), await first.RoundTripAsync("one"u8.ToArray()));
        Assert.Equal("two"u8.ToArray(), await second.RoundTripAsync("two"u8.ToArray()));

        // A second connection of the first real client: refused.
        using (var again = await ViaProxyAsync(server, "198.51.100.1"))
        {
            await again.Socket.SendAsync("x"u8.ToArray(), SocketFlags.None);
            (byte[] echoed, _) = await again.ReadToEndAsync(EchoClient.Timeout);
            Assert.Empty(echoed);
        }

        await server.WaitForLineAsync("refused 198.51.100.1:", EchoClient.Timeout);

        // Once the first has gone, its place is free again (the place is given back just after the
        // "finished" line, so a connection in between may still be refused: try a few, bounded).
        first.Socket.Shutdown(SocketShutdown.Send);
        await first.ReadToEndAsync(EchoClient.Timeout);
        await server.WaitForLineAsync("finished 198.51.100.1:", EchoClient.Timeout);
        // Awaited, not blocked on: blocking the test's thread on async socket work starves xunit's
        // limited synchronization context when the suite runs in parallel.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        bool served = false;
        while (!served && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            served = await EchoesViaProxyAsync(server, "198.51.100.1");
            if (!served)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(served, server.Log);
    }

    private static async Task<bool> EchoesViaProxyAsync(ReverbServer server, string realClient)
    {
        using EchoClient client = await ViaProxyAsync(server, realClient);
        await client.Socket.SendAsync("three"u8.ToArray(), SocketFlags.None);
        client.Socket.Shutdown(SocketShutdown.Send);
        (byte[] echoed, _) = await client.ReadToEndAsync(EchoClient.Timeout);
        return echoed.AsSpan().SequenceEqual("three"u8);
    }

    private static async Task<EchoClient> ViaProxyAsync(ReverbServer server, string realClient)
    {
        EchoClient client = await EchoClient.ConnectFromAsync(server, Proxy);
        await client.Socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"PROXY TCP4 {realClient} 192.0.2.1 4242 7\r\n"), SocketFlags.None);
        return client;
    }

    // Each process throttles its own lines.
    private static int ProcessesOf(string model) => model == "workers" ? 2 : 1;
}
