using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Proxy;

/// <summary>reverb serve --proxy-protocol, in every model: strip the header, log the real client, reject the rest.</summary>
public sealed class ProxyProtocolServeTests
{
    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_v1_header_is_stripped_and_the_real_client_logged(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol"));
        using var client = await EchoClient.ConnectAsync(server);
        await client.Socket.SendAsync("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\n"u8.ToArray(), SocketFlags.None);

        byte[] data = Payloads.Random(5000);
        Assert.Equal(data, await client.RoundTripAsync(data));
        await server.WaitForLineAsync($"client 203.0.113.7:4242 via 127.0.0.1:{client.LocalPort} ", EchoClient.Timeout);

        client.Socket.Shutdown(SocketShutdown.Send);
        await client.ReadToEndAsync(EchoClient.Timeout);
        string finished = await server.WaitForLineAsync("finished 203.0.113.7:4242 via", EchoClient.Timeout);
        Assert.Contains("5000 bytes in, 5000 bytes out", finished, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("async")]
    public async Task A_v2_header_sent_in_pieces_is_stripped(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol"));
        using var client = await EchoClient.ConnectAsync(server);
        byte[] header = ProxyHeaderParserTests.V2(command: 1, family: 0x11, [198, 51, 100, 9, 192, 0, 2, 1, 0x1f, 0x90, 0, 7]);
        await client.Socket.SendAsync(header.AsMemory(0, 7), SocketFlags.None);
        await Task.Delay(50);
        await client.Socket.SendAsync(header.AsMemory(7), SocketFlags.None);

        Assert.Equal("after header"u8.ToArray(), await client.RoundTripAsync("after header"u8.ToArray()));
        await server.WaitForLineAsync("client 198.51.100.9:8080 via", EchoClient.Timeout);
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_connection_without_a_valid_header_is_rejected_and_others_are_served(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol"));
        using (var direct = await EchoClient.ConnectAsync(server))
        {
            await direct.Socket.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), SocketFlags.None);
            (byte[] echoed, _) = await direct.ReadToEndAsync(EchoClient.Timeout);
            Assert.Empty(echoed);
        }

        string rejected = await server.WaitForLineAsync("rejected 127.0.0.1:", EchoClient.Timeout);
        Assert.Contains("no PROXY protocol header", rejected, StringComparison.Ordinal);

        using var proper = await EchoClient.ConnectAsync(server);
        await proper.Socket.SendAsync("PROXY UNKNOWN\r\n"u8.ToArray(), SocketFlags.None);
        Assert.Equal("ok"u8.ToArray(), await proper.RoundTripAsync("ok"u8.ToArray()));
    }
}
