using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Proxy;

/// <summary>--proxy-protocol against clients that misbehave: silent ones, floods without a header, and headers with long TLVs.</summary>
public sealed class ProxyHardeningTests
{
    public static TheoryData<string> InProcessAndWorkers => new() { "process", "workers", "threads", "async" };

    [Theory]
    [MemberData(nameof(InProcessAndWorkers))]
    public async Task A_client_that_sends_no_header_is_closed_after_the_proxy_timeout(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol", "--proxy-timeout", "1s"));
        using var silent = await EchoClient.ConnectAsync(server);

        long started = Stopwatch.GetTimestamp();
        (byte[] echoed, _) = await silent.ReadToEndAsync(TimeSpan.FromSeconds(20));
        TimeSpan waited = Stopwatch.GetElapsedTime(started);

        Assert.Empty(echoed);
        Assert.InRange(waited, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(10));
        await server.WaitForLineAsync("no complete PROXY protocol header within 1 s", EchoClient.Timeout);
    }

    [Theory]
    [MemberData(nameof(InProcessAndWorkers))]
    public async Task A_thousand_connections_without_a_header_log_a_handful_of_lines(string model)
    {
        await using var server = await ReverbServer.StartQuietAsync(ServerModels.Arguments(model, "--proxy-protocol", "--quiet"));
        for (int i = 0; i < 1_000; i++)
        {
            await RejectedAsync(server);
        }

        // The first is said at once (by each worker process), later ones at most once a second with a count.
        await server.WaitForLineAsync("rejected 127.0.0.1:", EchoClient.Timeout);
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        int before = server.LineCount;
        await RejectedAsync(server);
        string summary = await server.WaitForLineAsync("more rejected since the last such line", EchoClient.Timeout, after: before);
        Assert.Contains("no PROXY protocol header", summary, StringComparison.Ordinal);

        int lines = server.Lines.Count(l => l.Contains("rejected", StringComparison.Ordinal));
        Assert.True(lines <= 20, $"{lines} lines for 1,001 rejections:\n{server.Log}");
    }

    private static async Task RejectedAsync(ReverbServer server)
    {
        using var client = await EchoClient.ConnectAsync(server);
        await client.Socket.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), SocketFlags.None);
        (byte[] echoed, _) = await client.ReadToEndAsync(EchoClient.Timeout);
        Assert.Empty(echoed);
    }

    [Theory]
    [MemberData(nameof(InProcessAndWorkers))]
    public async Task A_v2_header_with_an_address_block_over_536_bytes_is_stripped(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol"));
        using var client = await EchoClient.ConnectAsync(server);

        // IPv4 addresses, then a 1,000-byte TLV (type 0xEE, a custom one the server skips): 1,015 address bytes.
        byte[] tlv = [0xEE, 0x03, 0xE8, .. Enumerable.Repeat((byte)'t', 1000)];
        byte[] header = ProxyHeaderParserTests.V2(command: 1, family: 0x11, [198, 51, 100, 9, 192, 0, 2, 1, 0x1f, 0x90, 0, 7, .. tlv]);
        Assert.True(header.Length > 16 + 536);
        byte[] data = Payloads.Random(3000);
        await client.Socket.SendAsync(header, SocketFlags.None);

        Assert.Equal(data, await client.RoundTripAsync(data));
        await server.WaitForLineAsync("client 198.51.100.9:8080 via", EchoClient.Timeout);
    }
}
