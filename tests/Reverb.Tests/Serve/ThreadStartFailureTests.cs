using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>The threads model under a real tasks limit (a cgroup's pids.max): a thread that cannot start costs one client, not the server.</summary>
public sealed class ThreadStartFailureTests
{
    [SkippableFact]
    public async Task A_client_that_gets_no_thread_is_closed_and_logged_and_the_server_keeps_serving()
    {
        using PidsCgroup? cgroup = PidsCgroup.TryCreate(out string reason);
        Skip.If(cgroup is null, reason);

        const int MaxClients = 8;
        await using var server = await ReverbServer.StartAsync("--model", "threads", "--max-clients", $"{MaxClients}");

        // Two clients being served, then a limit of exactly the tasks there are: no more threads.
        using var first = await EchoClient.ConnectAsync(server);
        using var second = await EchoClient.ConnectAsync(server);
        Assert.Equal("1"u8.ToArray(), await first.RoundTripAsync("1"u8.ToArray()));
        Assert.Equal("2"u8.ToArray(), await second.RoundTripAsync("2"u8.ToArray()));
        cgroup.Add(server.Pid);
        cgroup.Limit(cgroup.Current);

        // More clients than places: each is closed at once (no thread), never left hanging, and each frees its place.
        for (int i = 0; i < MaxClients * 3; i++)
        {
            using var refused = await EchoClient.ConnectAsync(server);
            await refused.Socket.SendAsync("x"u8.ToArray(), SocketFlags.None);
            (byte[] data, _) = await refused.ReadToEndAsync(EchoClient.Timeout);
            Assert.Empty(data);
        }

        await server.WaitForLineAsync("no thread could be started for it", EchoClient.Timeout);
        Assert.True(server.Lines.Count(l => l.Contains("no thread could be started", StringComparison.Ordinal)) <= 2, $"logged at a bounded rate:\n{server.Log}");

        // The clients being served were not disturbed.
        Assert.Equal("still"u8.ToArray(), await first.RoundTripAsync("still"u8.ToArray()));

        // The limit lifted: new clients are served again, as many as --max-clients allows at once
        // (the refused ones' places came back).
        cgroup.Limit(null);
        first.Dispose();
        second.Dispose();
        var clients = new List<EchoClient>();
        try
        {
            for (int i = 0; i < MaxClients; i++)
            {
                clients.Add(await EchoClient.ConnectAsync(server));
            }

            foreach (EchoClient client in clients)
            {
                Assert.Equal("again"u8.ToArray(), await client.RoundTripAsync("again"u8.ToArray()));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
