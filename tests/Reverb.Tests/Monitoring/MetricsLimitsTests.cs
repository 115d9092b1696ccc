using System.Diagnostics;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary>--metrics under abuse: idle connections, descriptor exhaustion and many scrapers at once.</summary>
public sealed class MetricsLimitsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("process")]
    [InlineData("async")]
    [InlineData("workers")]
    public async Task With_1024_descriptors_1100_idle_metrics_connections_neither_stop_the_echo_nor_spin_a_core(string model)
    {
        await using var server = await ReverbServer.StartWrappedAsync(["prlimit", "--nofile=1024:1024"], ServerModels.Arguments(model, "--metrics", "127.0.0.1:0"));
        int metricsPort = await MetricsTests.MetricsPortAsync(server);

        // Reverb raises its soft limit to the hard one, never beyond.
        Assert.Equal(("1024", "1024"), ProcessCpu.DescriptorLimit(server.Pid));

        var idle = new List<Socket>();
        using var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var attempts = new List<Task>();
        try
        {
            for (int i = 0; i < 1_100; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                attempts.Add(socket.ConnectAsync(server.Host, metricsPort, connecting.Token).AsTask());
            }

            // Beyond the listen queue the kernel drops the handshakes (the client retries): do not wait for those.
            await Task.WhenAny(Task.WhenAll(attempts), Task.Delay(TimeSpan.FromSeconds(3)));

            // The endpoint holds only its few concurrent requests, not every connection.
            int descriptors = ProcessCpu.OpenDescriptors(server.Pid);
            Assert.True(descriptors < 300, $"the master holds {descriptors} descriptors with 1,100 metrics connections open");

            // Echo clients are still served, promptly.
            long started = Stopwatch.GetTimestamp();
            using (var client = await EchoClient.ConnectAsync(server))
            {
                Assert.Equal("still here"u8.ToArray(), await client.RoundTripAsync("still here"u8.ToArray()));
            }

            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5), $"the echo took {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");

            // And nothing spins: over 2 s the master uses far less than a core.
            double share = await ProcessCpu.CoreShareAsync(server.Pid, TimeSpan.FromSeconds(2));
            Assert.True(share < 0.5, $"the master used {share:P0} of a core while 1,100 metrics connections sat idle");
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
            await Task.WhenAll(attempts.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    [Fact]
    public async Task A_metrics_connection_that_sends_nothing_is_closed_after_the_request_timeout()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.Host, metricsPort);

        long started = Stopwatch.GetTimestamp();
        byte[] buffer = new byte[100];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int read = await silent.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
        TimeSpan waited = Stopwatch.GetElapsedTime(started);

        // Closed without an answer once the 5 s request timeout ran out.
        Assert.Equal(0, read);
        Assert.InRange(waited, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Beyond_its_cap_the_endpoint_holds_no_more_connections_and_answers_them_as_others_finish()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        int baseline = ProcessCpu.OpenDescriptors(server.Pid);

        // 40 silent connections: at most 16 are taken, the rest wait in the listen queue.
        var silent = new List<Socket>();
        try
        {
            for (int i = 0; i < 40; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                await socket.ConnectAsync(server.Host, metricsPort);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
            int held = ProcessCpu.OpenDescriptors(server.Pid) - baseline;
            Assert.InRange(held, 16, 24);

            // A scrape queued behind them is answered once the silent ones time out.
            Dictionary<string, double> metrics = await MetricsTests.ScrapeAsync(metricsPort);
            Assert.Equal(0, metrics["reverb_connections_active"]);
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    [InlineData("async")]
    public async Task Many_concurrent_scrapes_are_all_answered_with_the_right_figures(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--metrics", "127.0.0.1:0"));
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        var clients = new List<EchoClient>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                EchoClient client = await EchoClient.ConnectAsync(server);
                clients.Add(client);
                await client.RoundTripAsync(new byte[100]);
            }

            Dictionary<string, double>[] scrapes = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => MetricsTests.ScrapeAsync(metricsPort)));

            Assert.All(scrapes, metrics =>
            {
                Assert.Equal(20, metrics["reverb_connections_accepted_total"]);
                Assert.Equal(20, metrics["reverb_connections_active"]);
                Assert.Equal(2000, metrics["reverb_received_bytes_total"]);
                Assert.Equal(2000, metrics["reverb_sent_bytes_total"]);
            });
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }
}
