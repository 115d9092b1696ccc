using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>What belongs to the workers model: per-worker isolation with a shared accept queue.</summary>
public sealed class WorkersModelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_dead_worker_takes_only_its_clients_and_is_replaced_while_new_clients_keep_being_served()
    {
        await using var server = await ReverbServer.StartAsync("--model", "workers", "--workers", "2");
        await Eventually.AssertAsync(() => server.Children().Count == 2, Wait, "two workers");

        var clients = new List<EchoClient>();
        var byWorker = new Dictionary<int, List<EchoClient>>();
        try
        {
            // Connect in concurrent batches until both workers serve someone (the kernel picks who accepts).
            for (int batch = 0; batch < 20 && byWorker.Count < 2; batch++)
            {
                EchoClient[] connected = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => EchoClient.ConnectAsync(server)));
                clients.AddRange(connected);
                foreach (EchoClient client in connected)
                {
                    await client.RoundTripAsync("x"u8.ToArray());
                    int pid = await server.WorkerServingAsync(client.LocalPort, Wait);
                    byWorker.TryAdd(pid, []);
                    byWorker[pid].Add(client);
                }
            }

            Assert.Equal(2, byWorker.Count);
            int victim = byWorker.Keys.First();
            int survivor = byWorker.Keys.Last();
            Signals.Send(victim, Signals.SIGKILL);

            // New clients connecting right now are all served (the queue is shared; none is lost).
            var fresh = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => EchoClient.ConnectAsync(server)));
            clients.AddRange(fresh);
            await Task.WhenAll(fresh.Select(async f => Assert.Equal("fresh"u8.ToArray(), await f.RoundTripAsync("fresh"u8.ToArray()))));

            foreach (EchoClient client in byWorker[victim])
            {
                (byte[] rest, _) = await client.ReadToEndAsync(Wait);
                Assert.Empty(rest);
            }

            foreach (EchoClient client in byWorker[survivor])
            {
                Assert.Equal("alive"u8.ToArray(), await client.RoundTripAsync("alive"u8.ToArray()));
            }

            string died = await server.WaitForLineAsync($"worker {victim} died", Wait);
            Assert.Contains("signal 9", died, StringComparison.Ordinal);
            await Eventually.AssertAsync(() => server.Children().Count == 2 && server.Children().All(c => c.Pid != victim), Wait, "a replacement worker");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Clients_are_spread_over_the_workers()
    {
        await using var server = await ReverbServer.StartAsync("--model", "workers", "--workers", "2");
        var clients = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => EchoClient.ConnectAsync(server)));
        try
        {
            var perWorker = new Dictionary<int, int>();
            foreach (EchoClient client in clients)
            {
                await client.RoundTripAsync("x"u8.ToArray());
                int pid = await server.WorkerServingAsync(client.LocalPort, Wait);
                perWorker[pid] = perWorker.GetValueOrDefault(pid) + 1;
            }

            // Each worker has its own queue; the kernel hashes clients over them (40 on one alone: 1 in 2^39).
            Assert.Equal(2, perWorker.Count);
        }
        finally
        {
            foreach (EchoClient client in clients)
            {
                client.Dispose();
            }
        }
    }
}
