using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Graceful shutdown on SIGTERM and Ctrl-C (SIGINT), in every model.</summary>
public sealed class ShutdownTests
{
    public static TheoryData<string, int> ModelsAndSignals => new()
    {
        { "process", Signals.SIGTERM },
        { "process", Signals.SIGINT },
        { "workers", Signals.SIGTERM },
        { "threads", Signals.SIGTERM },
        { "async", Signals.SIGINT },
    };

    [Theory]
    [MemberData(nameof(ModelsAndSignals))]
    public async Task Stops_accepting_drains_then_closes_clients_and_exits_0_with_no_process_left(string model, int signal)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--drain-timeout", "1s"));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("hi"u8.ToArray(), await client.RoundTripAsync("hi"u8.ToArray()));
        int[] children = [.. server.Descendants().Select(c => c.Pid)];

        server.Signal(signal);

        // The idle client is closed when the drain period runs out; the server exits 0.
        (byte[] rest, _) = await client.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(rest);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopped", server.Log, StringComparison.Ordinal);
        await Eventually.AssertAsync(() => children.All(pid => !ProcessTable.IsAlive(pid)), TimeSpan.FromSeconds(10), "every worker gone");

        // Nothing listens any more.
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await late.ConnectAsync(server.Host, server.Port));
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_client_that_finishes_within_the_drain_period_gets_its_whole_echo(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--drain-timeout", "20s"));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("a"u8.ToArray(), await client.RoundTripAsync("a"u8.ToArray()));

        int before = server.LineCount;
        server.Signal(Signals.SIGTERM);
        await server.WaitForLineAsync("SIGTERM: stopping; open clients have up to 20 s to finish", EchoClient.Timeout, after: before);

        // The drain has begun (the line above is logged when the signal is taken): still served, a
        // last exchange, then the client leaves by itself.
        byte[] last = Payloads.Random(100_000);
        Assert.Equal(last, await client.RoundTripAsync(last));
        client.Socket.Shutdown(SocketShutdown.Send);
        (_, bool clean) = await client.ReadToEndAsync(EchoClient.Timeout);
        Assert.True(clean);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
}
