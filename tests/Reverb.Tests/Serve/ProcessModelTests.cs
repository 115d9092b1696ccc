using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>What belongs to the process model alone: one process per client, crash isolation, no orphans, the spare pool.</summary>
public sealed class ProcessModelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Killing_the_worker_of_one_client_harms_only_that_client_and_the_master_replaces_it()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "2", "--max-spare", "4");
        using var a = await EchoClient.ConnectAsync(server);
        using var victim = await EchoClient.ConnectAsync(server);
        using var c = await EchoClient.ConnectAsync(server);
        foreach (EchoClient client in (EchoClient[])[a, victim, c])
        {
            Assert.Equal("ping"u8.ToArray(), await client.RoundTripAsync("ping"u8.ToArray()));
        }

        int workerA = await server.WorkerServingAsync(a.LocalPort, Wait);
        int workerVictim = await server.WorkerServingAsync(victim.LocalPort, Wait);
        int workerC = await server.WorkerServingAsync(c.LocalPort, Wait);
        Assert.Equal(3, new[] { workerA, workerVictim, workerC }.Distinct().Count());

        Signals.Send(workerVictim, Signals.SIGKILL);

        // The victim's connection ends; nobody else notices.
        (byte[] rest, _) = await victim.ReadToEndAsync(Wait);
        Assert.Empty(rest);
        Assert.Equal("still A"u8.ToArray(), await a.RoundTripAsync("still A"u8.ToArray()));
        Assert.Equal("still C"u8.ToArray(), await c.RoundTripAsync("still C"u8.ToArray()));
        using var fresh = await EchoClient.ConnectAsync(server);
        Assert.Equal("new"u8.ToArray(), await fresh.RoundTripAsync("new"u8.ToArray()));

        // The master says which worker died and whose client it took; it is reaped (no zombie).
        string died = await server.WaitForLineAsync($"worker {workerVictim} died", Wait);
        Assert.Contains("signal 9", died, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{victim.LocalPort}", died, StringComparison.Ordinal);
        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(workerVictim) && ProcessTable.TryRead(workerVictim) is null, Wait, "the dead worker reaped");
        Assert.DoesNotContain(server.Children(), child => child.State == 'Z');

        // Spares are back to the minimum (2 idle beside the 3 busy).
        await Eventually.AssertAsync(() => server.Children().Count >= 5, Wait, "replacement workers started");
    }

    [Fact]
    public async Task Many_crashes_leave_no_zombies()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "2", "--max-spare", "3");
        for (int i = 0; i < 5; i++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            await client.RoundTripAsync("x"u8.ToArray());
            int worker = await server.WorkerServingAsync(client.LocalPort, Wait);
            Signals.Send(worker, Signals.SIGKILL);
            await server.WaitForLineAsync($"worker {worker} died", Wait);
        }

        await Eventually.AssertAsync(() => server.Children().All(c => c.State != 'Z') && server.Children().Count >= 2, Wait, "no zombie children, spares restored");
        using var last = await EchoClient.ConnectAsync(server);
        Assert.Equal("ok"u8.ToArray(), await last.RoundTripAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task When_the_master_dies_idle_workers_exit_at_once_and_a_busy_one_after_its_client()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "3", "--max-spare", "5");
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("hello"u8.ToArray());
        int busy = await server.WorkerServingAsync(client.LocalPort, Wait);
        await Eventually.AssertAsync(() => server.Children().Count >= 4, Wait, "spares started");
        int[] idle = [.. server.Children().Select(c => c.Pid).Where(pid => pid != busy)];

        server.Signal(Signals.SIGKILL);

        await Eventually.AssertAsync(() => idle.All(pid => !ProcessTable.IsAlive(pid)), Wait, "idle workers exit once their master is gone");

        // The busy worker still serves its client to the end, then exits: nothing outlives its last client.
        Assert.True(ProcessTable.IsAlive(busy));
        Assert.Equal("still here"u8.ToArray(), await client.RoundTripAsync("still here"u8.ToArray()));
        client.Socket.Shutdown(SocketShutdown.Send);
        (_, bool clean) = await client.ReadToEndAsync(Wait);
        Assert.True(clean);
        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(busy), Wait, "the busy worker exits after its client");
    }

    [Fact]
    public async Task At_the_worker_cap_new_clients_wait_in_the_listen_queue_and_the_master_says_so_once()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "1", "--max-spare", "1", "--max-workers", "1");
        using var first = await EchoClient.ConnectAsync(server);
        await first.RoundTripAsync("1"u8.ToArray());

        // The kernel completes the handshake, but nobody serves the second client yet.
        using var second = await EchoClient.ConnectAsync(server);
        await second.Socket.SendAsync("2"u8.ToArray(), SocketFlags.None);
        await server.WaitForLineAsync("all 1 workers are busy", Wait);
        Assert.Equal(0, second.Socket.Available);

        // When the first leaves, the second is served.
        first.Socket.Shutdown(SocketShutdown.Send);
        await first.ReadToEndAsync(Wait);
        using var cts = new CancellationTokenSource(Wait);
        Assert.Equal("2"u8.ToArray(), await second.ReadExactlyAsync(1, cts.Token));
        Assert.Single(server.Lines, l => l.Contains("workers are busy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_pool_grows_with_demand_and_shrinks_back_to_max_spare_when_it_passes()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "1", "--max-spare", "2");
        var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => EchoClient.ConnectAsync(server)));
        await Task.WhenAll(burst.Select(c => c.RoundTripAsync("burst"u8.ToArray())));
        int[] served = await Task.WhenAll(burst.Select(c => server.WorkerServingAsync(c.LocalPort, Wait)));
        Assert.Equal(6, served.Distinct().Count());

        foreach (EchoClient client in burst)
        {
            client.Dispose();
        }

        await Eventually.AssertAsync(() => server.Children().Count <= 3, Wait, "idle workers retired down to --max-spare");
        Assert.DoesNotContain("died", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recycling_retires_a_worker_after_its_quota_of_clients()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "1", "--max-spare", "2", "--recycle-after", "1");
        int firstWorker;
        using (var client = await EchoClient.ConnectAsync(server))
        {
            await client.RoundTripAsync("a"u8.ToArray());
            firstWorker = await server.WorkerServingAsync(client.LocalPort, Wait);
            client.Socket.Shutdown(SocketShutdown.Send);
            await client.ReadToEndAsync(Wait);
        }

        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(firstWorker), Wait, "the recycled worker exits");
        using var next = await EchoClient.ConnectAsync(server);
        await next.RoundTripAsync("b"u8.ToArray());
        Assert.NotEqual(firstWorker, await server.WorkerServingAsync(next.LocalPort, Wait));
        Assert.DoesNotContain("died", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ps_shows_the_master_and_its_workers_recognisably()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "2", "--max-spare", "2");
        await Eventually.AssertAsync(() => server.Children().Count >= 2, Wait, "spares started");

        ProcessTable.Entry master = ProcessTable.TryRead(server.Pid)!;
        Assert.Contains("reverb", master.CommandLine, StringComparison.Ordinal);
        Assert.Contains(" serve ", master.CommandLine, StringComparison.Ordinal);
        Assert.All(server.Children(), worker =>
        {
            Assert.Contains(" worker ", worker.CommandLine, StringComparison.Ordinal);
            Assert.Contains($"--master {server.Pid}", worker.CommandLine, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Workers_hold_only_their_own_channel_and_no_other_client_socket()
    {
        await using var server = await ReverbServer.StartAsync("--min-spare", "2", "--max-spare", "4");
        using var a = await EchoClient.ConnectAsync(server);
        using var b = await EchoClient.ConnectAsync(server);
        await a.RoundTripAsync("a"u8.ToArray());
        await b.RoundTripAsync("b"u8.ToArray());
        int worker = await server.WorkerServingAsync(a.LocalPort, Wait);

        // Descriptors of a worker: stdio, the runtime's own, one channel and one client socket.
        int sockets = Directory.EnumerateFiles($"/proc/{worker}/fd")
            .Count(fd => new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true);
        Assert.Equal(2, sockets);
    }
}
