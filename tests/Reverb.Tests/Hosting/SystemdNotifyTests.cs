using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Hosting;

/// <summary>
/// systemd's Type=notify protocol, without systemd: the test binds a real datagram socket, passes it
/// as NOTIFY_SOCKET, and reads what a real server sends.
/// </summary>
public sealed class SystemdNotifyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    [InlineData("threads")]
    public async Task READY_is_sent_once_the_port_accepts_and_echoes(string model)
    {
        using var notify = new NotifySocket();
        await using var server = ReverbServer.Launch(Environment(notify), "--model", model);

        string ready = await notify.WaitForAsync("READY=1", Timeout);

        // No retry: at READY=1 the port accepts and echoes at once.
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("ready?"u8.ToArray(), await client.RoundTripAsync("ready?"u8.ToArray()));
        Assert.Contains($"STATUS=serving (model {model})", ready, StringComparison.Ordinal);
        await server.WaitForLineAsync("told systemd we are ready (NOTIFY_SOCKET)", Timeout);
    }

    [Fact]
    public async Task WATCHDOG_pings_come_every_half_WATCHDOG_USEC_with_the_clients_in_STATUS()
    {
        using var notify = new NotifySocket(abstractName: true);
        await using var server = ReverbServer.Launch(Environment(notify, ("WATCHDOG_USEC", "400000")), "--model", "async");
        await notify.WaitForAsync("READY=1", Timeout);
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("x"u8.ToArray());

        // Eight fresh pings (not the ones queued meanwhile): seven periods of WATCHDOG_USEC/2 = 200 ms
        // each, late ones included. Above 400 ms on average systemd would have killed the service.
        notify.DiscardWaiting();
        await notify.WaitForAsync("WATCHDOG=1", Timeout);
        var clock = Stopwatch.StartNew();
        var arrivals = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            await notify.WaitForAsync("WATCHDOG=1", Timeout);
            arrivals.Add(clock.Elapsed.TotalMilliseconds);
        }

        double mean = arrivals[^1] / 7;
        Assert.True(mean is >= 150 and <= 400, $"pings every {mean:0} ms on average; arrivals (ms): {string.Join(", ", arrivals.Select(a => a.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");

        // The STATUS= line (every 5 s) counts the client.
        string status = await notify.WaitForAsync("STATUS=serving (model async): clients 1 active, 1 accepted", TimeSpan.FromSeconds(30));
        Assert.Contains("WATCHDOG=1", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_WATCHDOG_pings_when_WATCHDOG_PID_names_another_process()
    {
        using var notify = new NotifySocket();
        await using var server = ReverbServer.Launch(Environment(notify, ("WATCHDOG_USEC", "200000"), ("WATCHDOG_PID", "1")), "--model", "async");
        await notify.WaitForAsync("READY=1", Timeout);

        // Pings would come every 100 ms; a whole second passes without one.
        await Assert.ThrowsAsync<TimeoutException>(() => notify.WaitForAsync("WATCHDOG=1", TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("threads")]
    public async Task STOPPING_is_sent_when_SIGTERM_starts_the_drain(string model)
    {
        using var notify = new NotifySocket();
        await using var server = ReverbServer.Launch(Environment(notify), "--model", model, "--drain-timeout", "60s");
        await notify.WaitForAsync("READY=1", Timeout);
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("x"u8.ToArray());

        server.Signal(Signals.SIGTERM);

        string stopping = await notify.WaitForAsync("STOPPING=1", Timeout);
        Assert.Contains($"STATUS=draining (model {model})", stopping, StringComparison.Ordinal);

        // The drain is still under way (the client is connected); it ends when the client leaves.
        Assert.False(server.Log.Contains("stopped (SIGTERM)", StringComparison.Ordinal));
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await client.ReadToEndAsync(Timeout);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    private static Dictionary<string, string> Environment(NotifySocket notify, params (string Name, string Value)[] more)
    {
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address };
        foreach ((string name, string value) in more)
        {
            environment[name] = value;
        }

        return environment;
    }
}
