using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Several --host values, IPv6, and "::" serving IPv4 clients too, in every model.</summary>
public sealed class ListenAddressTests
{
    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Serves_every_host_given_on_one_port(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--host", "127.0.0.1", "--host", "::1"));
        await server.WaitForLineAsync($"listening on [::1]:{server.Port} ", EchoClient.Timeout);

        Assert.Equal("v4"u8.ToArray(), await RoundTripAsync(IPAddress.Loopback, server.Port, "v4"u8.ToArray()));
        Assert.Equal("v6"u8.ToArray(), await RoundTripAsync(IPAddress.IPv6Loopback, server.Port, "v6"u8.ToArray()));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("async")]
    public async Task The_IPv6_any_address_serves_IPv4_clients_too(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--host", "::"));
        Assert.Equal("v4"u8.ToArray(), await RoundTripAsync(IPAddress.Loopback, server.Port, "v4"u8.ToArray()));
        Assert.Equal("v6"u8.ToArray(), await RoundTripAsync(IPAddress.IPv6Loopback, server.Port, "v6"u8.ToArray()));
    }

    [Fact]
    public async Task An_address_that_is_not_on_this_machine_is_a_one_line_error()
    {
        CommandResult result = await ReverbCommand.RunAsync(TimeSpan.FromSeconds(60), "serve", "0", "--host", "192.0.2.1");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("reverb: cannot listen on 192.0.2.1: that address is not on this machine", result.Stderr, StringComparison.Ordinal);
    }

    private static async Task<byte[]> RoundTripAsync(IPAddress address, int port, byte[] data) =>
        (await OneShotExchange.RunAsync(new IPEndPoint(address, port), data, EchoClient.Timeout)).Echoed;
}
