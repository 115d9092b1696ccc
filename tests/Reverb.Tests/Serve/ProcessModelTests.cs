using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>
/// What belongs to the process model alone: a process forked per client, crash isolation, every
/// child reaped, a forking process that can die without losing a client, nothing left behind.
/// </summary>
public sealed class ProcessModelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(Signals.SIGKILL, "signal 9")]
    [InlineData(Signals.SIGSEGV, "signal 11")]
    public async Task Killing_the_process_of_one_client_harms_only_that_client(int signal, string how)
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
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

        Signals.Send(workerVictim, signal);

        // The victim's connection ends; nobody else notices.
        (byte[] rest, _) = await victim.ReadToEndAsync(Wait);
        Assert.Empty(rest);
        Assert.Equal("still A"u8.ToArray(), await a.RoundTripAsync("still A"u8.ToArray()));
        Assert.Equal("still C"u8.ToArray(), await c.RoundTripAsync("still C"u8.ToArray()));
        using var fresh = await EchoClient.ConnectAsync(server);
        Assert.Equal("new"u8.ToArray(), await fresh.RoundTripAsync("new"u8.ToArray()));

        // The master says which process died and whose client it took; it is reaped (no zombie).
        string died = await server.WaitForLineAsync($"worker {workerVictim} died", Wait);
        Assert.Contains(how, died, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{victim.LocalPort}", died, StringComparison.Ordinal);
        await Eventually.AssertAsync(() => ProcessTable.TryRead(workerVictim) is null, Wait, "the dead child reaped");
        Assert.DoesNotContain(server.Descendants(), p => p.State == 'Z');
    }

    [Fact]
    public async Task Each_client_gets_a_fresh_process_forked_by_one_forking_process()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        int forker = Forker(server);
        var pids = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            await client.RoundTripAsync("x"u8.ToArray());
            int pid = await server.WorkerServingAsync(client.LocalPort, Wait);
            Assert.Equal(forker, ProcessTable.TryRead(pid)?.ParentPid);
            pids.Add(pid);
        }

        Assert.Equal(3, pids.Distinct().Count());

        // ps: the master serves, the forking process forks, and nothing else runs once the clients have gone.
        Assert.Contains(" serve ", ProcessTable.TryRead(server.Pid)!.CommandLine, StringComparison.Ordinal);
        Assert.Contains(" forker ", ProcessTable.TryRead(forker)!.CommandLine, StringComparison.Ordinal);
        await Eventually.AssertAsync(() => server.Descendants().Count == 1, Wait, "only the forking process left");
    }

    [Fact]
    public async Task Five_hundred_concurrent_clients_are_served_with_the_defaults()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        var clients = new List<EchoClient>();
        try
        {
            for (int i = 0; i < 500; i++)
            {
                clients.Add(await EchoClient.ConnectAsync(server));
            }

            // Every one of them echoes while all 500 are connected: 500 processes at once.
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                byte[] message = System.Text.Encoding.ASCII.GetBytes($"client {i}");
                Assert.Equal(message, await client.RoundTripAsync(message));
            }));
            Assert.True(server.Descendants().Count >= 501, $"{server.Descendants().Count} processes");
        }
        finally
        {
            foreach (EchoClient client in clients)
            {
                client.Dispose();
            }
        }

        await Eventually.AssertAsync(() => server.Descendants().Count == 1, Wait, "every child reaped");
    }

    [Fact]
    public async Task Killing_the_forking_process_loses_no_client_and_a_new_one_takes_over()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        int forker = Forker(server);
        var running = new List<EchoClient>();
        for (int i = 0; i < 4; i++)
        {
            running.Add(await EchoClient.ConnectAsync(server));
            await running[^1].RoundTripAsync("before"u8.ToArray());
        }

        // Streams of data in flight on every running client while the forking process dies.
        byte[] payload = Payloads.Random(200_000, seed: 3);
        Task<byte[]>[] echoes = [.. running.Select(client => client.RoundTripAsync(payload))];
        Signals.Send(forker, Signals.SIGKILL);
        foreach (Task<byte[]> echo in echoes)
        {
            Assert.Equal(payload, await echo);
        }

        await server.WaitForLineAsync($"forking process {forker} died", Wait);
        await Eventually.AssertAsync(() => server.Children().Any(c => c.CommandLine.Contains(" forker ", StringComparison.Ordinal) && c.Pid != forker), Wait, "a new forking process");

        // New clients are served by the new forking process; the old clients still echo, now children of the master.
        using (var fresh = await EchoClient.ConnectAsync(server))
        {
            Assert.Equal("after"u8.ToArray(), await fresh.RoundTripAsync("after"u8.ToArray()));
        }

        foreach (EchoClient client in running)
        {
            Assert.Equal("still"u8.ToArray(), await client.RoundTripAsync("still"u8.ToArray()));
            client.Socket.Shutdown(SocketShutdown.Send);
            (_, bool clean) = await client.ReadToEndAsync(Wait);
            Assert.True(clean);
            client.Dispose();
        }

        // The orphans were the master's to reap: no zombie, only the new forking process left.
        await Eventually.AssertAsync(() => server.Descendants().Count == 1 && server.Descendants().All(p => p.State != 'Z'), Wait, "orphans reaped");
        Assert.Contains("finished 127.0.0.1:", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_source_counts_stay_right_when_the_forking_process_dies()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process", "--max-conns-per-source", "1");
        using var first = await EchoClient.ConnectAsync(server);
        Assert.Equal("1"u8.ToArray(), await first.RoundTripAsync("1"u8.ToArray()));
        int forker = Forker(server);
        Signals.Send(forker, Signals.SIGKILL);
        await Eventually.AssertAsync(() => server.Children().Any(c => c.CommandLine.Contains(" forker ", StringComparison.Ordinal) && c.Pid != forker), Wait, "a new forking process");

        // The new forking process still counts the first client (now an orphan): a second one from the same address is refused.
        using (var second = await EchoClient.ConnectAsync(server))
        {
            (byte[] nothing, _) = await second.ReadToEndAsync(Wait);
            Assert.Empty(nothing);
            await server.WaitForLineAsync($"refused 127.0.0.1:{second.LocalPort}", Wait);
        }

        // Once the first has gone (reaped by the master), its place is free again.
        Assert.Equal("2"u8.ToArray(), await first.RoundTripAsync("2"u8.ToArray()));
        first.Socket.Shutdown(SocketShutdown.Send);
        await first.ReadToEndAsync(Wait);
        await server.WaitForLineAsync($"finished 127.0.0.1:{first.LocalPort} ", Wait);
        // The master tells the forking process right after that line; a refusal in between is retried.
        bool served = false;
        for (int attempt = 0; attempt < 50 && !served; attempt++)
        {
            using var third = await EchoClient.ConnectAsync(server);
            await third.Socket.SendAsync("x"u8.ToArray(), SocketFlags.None);
            byte[] echoed = new byte[1];
            using var cts = new CancellationTokenSource(Wait);
            try
            {
                served = await third.Socket.ReceiveAsync(echoed, SocketFlags.None, cts.Token) == 1 && echoed[0] == (byte)'x';
            }
            catch (SocketException)
            {
                // Refused with a reset: try again.
            }

            if (!served)
            {
                await Task.Delay(100);
            }
        }

        Assert.True(served, "a new client from that address served");
    }

    [Fact]
    public async Task Many_connections_and_crashes_leave_no_zombies()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        for (int round = 0; round < 3; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                for (int i = 0; i < 100; i++)
                {
                    using var client = await EchoClient.ConnectAsync(server);
                    await client.RoundTripAsync("z"u8.ToArray());
                }
            }));

            // And once the forking process itself is killed between rounds.
            if (round == 1)
            {
                int forker = Forker(server);
                Signals.Send(forker, Signals.SIGKILL);
                await Eventually.AssertAsync(() => server.Children().Any(c => c.CommandLine.Contains(" forker ", StringComparison.Ordinal) && c.Pid != forker), Wait, "a new forking process");
            }
        }

        await Eventually.AssertAsync(() => server.Descendants().Count == 1 && server.Descendants().All(p => p.State != 'Z'), Wait, "every child reaped");
    }

    [Fact]
    public async Task When_the_master_dies_the_forking_process_stops_and_a_busy_child_finishes_its_client()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("hello"u8.ToArray());
        int busy = await server.WorkerServingAsync(client.LocalPort, Wait);
        int forker = Forker(server);

        server.Signal(Signals.SIGKILL);

        // The forking process takes no new client, but the busy child serves its client to the end, then nothing is left.
        Assert.Equal("still here"u8.ToArray(), await client.RoundTripAsync("still here"u8.ToArray()));
        client.Socket.Shutdown(SocketShutdown.Send);
        (_, bool clean) = await client.ReadToEndAsync(Wait);
        Assert.True(clean);
        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(busy) && !ProcessTable.IsAlive(forker), Wait, "nothing outlives its last client");
    }

    [Fact]
    public async Task At_max_clients_new_clients_wait_in_the_listen_queue()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process", "--max-clients", "1");
        using var first = await EchoClient.ConnectAsync(server);
        await first.RoundTripAsync("1"u8.ToArray());

        // The kernel completes the handshake, but nobody serves the second client while the first is there.
        using var second = await EchoClient.ConnectAsync(server);
        await second.Socket.SendAsync("2"u8.ToArray(), SocketFlags.None);
        Assert.Equal("1b"u8.ToArray(), await first.RoundTripAsync("1b"u8.ToArray()));
        Assert.Equal(0, second.Socket.Available);
        Assert.DoesNotContain($"accepted 127.0.0.1:{second.LocalPort}", server.Log, StringComparison.Ordinal);

        // When the first leaves, the second is served.
        first.Socket.Shutdown(SocketShutdown.Send);
        await first.ReadToEndAsync(Wait);
        using var cts = new CancellationTokenSource(Wait);
        Assert.Equal("2"u8.ToArray(), await second.ReadExactlyAsync(1, cts.Token));
    }

    [Fact]
    public async Task A_child_holds_its_client_socket_and_no_other()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process");
        using var a = await EchoClient.ConnectAsync(server);
        using var b = await EchoClient.ConnectAsync(server);
        await a.RoundTripAsync("a"u8.ToArray());
        await b.RoundTripAsync("b"u8.ToArray());
        int child = await server.WorkerServingAsync(a.LocalPort, Wait);

        // No listening socket, no channel, no other client: one socket.
        int sockets = Directory.EnumerateFiles($"/proc/{child}/fd")
            .Count(fd => new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true);
        Assert.Equal(1, sockets);
    }

    [Fact]
    public async Task With_clients_per_process_a_child_serves_that_many_clients_in_turn_then_exits()
    {
        await using var server = await ReverbServer.StartAsync("--model", "process", "--clients-per-process", "3");
        var pids = new List<int>();
        for (int i = 0; i < 7; i++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            byte[] message = [(byte)('a' + i)];
            Assert.Equal(message, await client.RoundTripAsync(message));
            pids.Add(await server.WorkerServingAsync(client.LocalPort, Wait));
            client.Socket.Shutdown(SocketShutdown.Send);
            await client.ReadToEndAsync(Wait);
            await server.WaitForLineAsync($"finished 127.0.0.1:{client.LocalPort} ", Wait);
        }

        // Clients one after another: three per process, then a fresh one.
        Assert.Equal(3, pids.Distinct().Count());
        Assert.Equal([pids[0], pids[0], pids[0], pids[3], pids[3], pids[3], pids[6]], pids);
        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(pids[0]) && !ProcessTable.IsAlive(pids[3]), Wait, "used-up children exit and are reaped");
        Assert.DoesNotContain("died", server.Log, StringComparison.Ordinal);

        // An idle child waiting for its next client leaves on SIGTERM with everything else.
        Assert.True(ProcessTable.IsAlive(pids[6]));
        server.Signal(Signals.SIGTERM);
        Assert.Equal(0, await server.WaitForExitAsync(Wait));
        await Eventually.AssertAsync(() => !ProcessTable.IsAlive(pids[6]), Wait, "the idle child gone");
    }

    [Fact]
    public async Task Clients_per_process_is_refused_for_other_models()
    {
        CommandResult result = await ReverbCommand.RunAsync(Wait, "serve", "0", "--model", "async", "--clients-per-process", "5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--clients-per-process applies to the process model only", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--min-spare")]
    [InlineData("--max-spare")]
    [InlineData("--max-workers")]
    [InlineData("--recycle-after")]
    public async Task Options_of_the_old_worker_pool_are_refused_in_one_line(string option)
    {
        CommandResult result = await ReverbCommand.RunAsync(Wait, "serve", "0", option, "4");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} is gone", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    private static int Forker(ReverbServer server) =>
        server.Children().Single(c => c.CommandLine.Contains(" forker ", StringComparison.Ordinal)).Pid;
}
