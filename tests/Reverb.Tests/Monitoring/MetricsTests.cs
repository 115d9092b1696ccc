using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary>--metrics: Prometheus text format from a real server, scraped over HTTP.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Metrics_count_connections_bytes_and_workers(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--metrics", "127.0.0.1:0"));
        int metricsPort = await MetricsPortAsync(server);
        using (var done = await EchoClient.ConnectAsync(server))
        {
            await done.RoundTripAsync(new byte[3000]);
        }

        using var open = await EchoClient.ConnectAsync(server);
        await open.RoundTripAsync(new byte[10]);

        // The first client's close reaches the server's figures in its own time.
        Dictionary<string, double> metrics = [];
        await Eventually.AssertAsync(
            async () =>
            {
                metrics = await ScrapeAsync(metricsPort);
                return metrics["reverb_connections_active"] == 1;
            },
            Timeout,
            "one connection active");

        Assert.Equal(2, metrics["reverb_connections_accepted_total"]);
        Assert.Equal(3010, metrics["reverb_received_bytes_total"]);
        Assert.Equal(3010, metrics["reverb_sent_bytes_total"]);
        Assert.Equal(0, metrics["reverb_connections_rejected_total{reason=\"per_source\"}"]);
        Assert.Equal(0, metrics["reverb_worker_crashes_total"]);
        Assert.Equal(1, metrics.Single(m => m.Key.StartsWith($"reverb_info{{model=\"{model}\",version=\"", StringComparison.Ordinal)).Value);
        switch (model)
        {
            case "process":
                Assert.Equal(1, metrics["reverb_workers{state=\"busy\"}"]);
                Assert.True(metrics.Where(m => m.Key.StartsWith("reverb_workers{", StringComparison.Ordinal)).Sum(m => m.Value) >= 2, "the busy worker and at least one spare");
                break;
            case "workers":
                Assert.Equal(2, metrics["reverb_workers{state=\"serving\"}"]);
                break;
            default:
                Assert.Equal(0, metrics["reverb_workers{state=\"busy\"}"]);
                break;
        }
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    public async Task A_killed_worker_is_counted_as_a_crash(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--metrics", "127.0.0.1:0"));
        int metricsPort = await MetricsPortAsync(server);
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("x"u8.ToArray());
        int worker = model == "process"
            ? await server.WorkerServingAsync(client.LocalPort, Timeout)
            : server.Children()[0].Pid;

        Signals.Send(worker, Signals.SIGKILL);

        await server.WaitForLineAsync($"worker {worker} died", Timeout);
        Dictionary<string, double> metrics = await ScrapeAsync(metricsPort);
        Assert.Equal(1, metrics["reverb_worker_crashes_total"]);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    [InlineData("async")]
    public async Task A_connection_without_a_PROXY_header_is_counted_as_rejected(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--proxy-protocol", "--metrics", "127.0.0.1:0"));
        int metricsPort = await MetricsPortAsync(server);
        using (var client = await EchoClient.ConnectAsync(server))
        {
            await client.Socket.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
            await client.ReadToEndAsync(Timeout);
        }

        Dictionary<string, double> metrics = [];
        await Eventually.AssertAsync(
            async () => (metrics = await ScrapeAsync(metricsPort))["reverb_connections_rejected_total{reason=\"proxy_header\"}"] == 1,
            Timeout,
            "the rejected connection is counted");
        Assert.Equal(1, metrics["reverb_connections_accepted_total"]);
        Assert.Equal(0, metrics["reverb_connections_active"]);
    }

    [Fact]
    public async Task Udp_datagrams_echoed_and_refused_are_counted()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--udp", "--udp-rate", "1", "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsPortAsync(server);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);
        using var cts = new CancellationTokenSource(Timeout);
        await udp.SendAsync("one"u8.ToArray(), target, cts.Token);
        await udp.ReceiveAsync(cts.Token);

        // Over the rate of 1 a second: refused.
        await udp.SendAsync("two"u8.ToArray(), target, cts.Token);
        await udp.SendAsync("three"u8.ToArray(), target, cts.Token);

        Dictionary<string, double> metrics = [];
        await Eventually.AssertAsync(
            async () => (metrics = await ScrapeAsync(metricsPort))["reverb_udp_datagrams_refused_total"] >= 1,
            Timeout,
            "a refused datagram is counted");
        Assert.True(metrics["reverb_udp_datagrams_echoed_total"] >= 1);
    }

    [Fact]
    public async Task A_metrics_port_in_use_or_malformed_is_a_one_line_error()
    {
        using var taken = new TakenPort();
        int port = taken.Port;

        CommandResult inUse = await ReverbCommand.RunAsync(Timeout, "serve", "0", "--host", "127.0.0.1", "--model", "async", "--metrics", $"127.0.0.1:{port}");
        CommandResult malformed = await ReverbCommand.RunAsync(Timeout, "serve", "0", "--metrics", "nine-thousand");
        CommandResult ipv6 = await ReverbCommand.RunAsync(Timeout, "serve", "0", "--metrics", "::1:9100");

        Assert.Equal(1, inUse.ExitCode);
        Assert.Equal($"reverb: --metrics: port {port} is already in use", inUse.Stderr.Trim());
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("--metrics: 'nine-thousand' is not HOST:PORT", malformed.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("reverb: --metrics:", malformed.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, ipv6.ExitCode);
        Assert.Contains("write an IPv6 address in brackets, for example [::1]:9100", ipv6.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_served_over_IPv6_at_metrics_only()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--metrics", "[::1]:0");
        int metricsPort = await MetricsPortAsync(server);
        using var http = new HttpClient { Timeout = Timeout };

        using HttpResponseMessage metrics = await http.GetAsync(new Uri($"http://[::1]:{metricsPort}/metrics"));
        using HttpResponseMessage elsewhere = await http.GetAsync(new Uri($"http://[::1]:{metricsPort}/other"));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("reverb_connections_accepted_total 0", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    /// <summary>The port the server picked for --metrics HOST:0, from its "metrics on" line.</summary>
    internal static async Task<int> MetricsPortAsync(ReverbServer server)
    {
        string line = await server.WaitForLineAsync("metrics on http://", Timeout);
        Match port = Regex.Match(line, @"metrics on http://\S+:(\d+)/metrics");
        Assert.True(port.Success, line);
        return int.Parse(port.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>One scrape, as name{labels} → value (comments skipped).</summary>
    internal static async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        // As Prometheus sends it: by name, not the address given to --metrics.
        using var http = new HttpClient { Timeout = Timeout };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://localhost:{port}/metrics"));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        string text = await response.Content.ReadAsStringAsync();
        var metrics = new Dictionary<string, double>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            int space = line.LastIndexOf(' ');
            metrics[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return metrics;
    }
}
