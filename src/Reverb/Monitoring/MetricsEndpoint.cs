using System.Globalization;
using System.Net;
using Prometheus;

namespace Reverb.Monitoring;

/// <summary>
/// --metrics HOST:PORT: Prometheus text format at /metrics (prometheus-net, its own registry, no
/// process-wide state). Every scrape asks the running model, so the figures are as of the scrape.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private static readonly string[] KnownWorkerStates = ["starting", "idle", "reserved", "busy", "retiring", "serving", "not answering"];

    private readonly MetricServer _server;

    private MetricsEndpoint(MetricServer server) => _server = server;

    /// <summary>Serves the metrics; throws <see cref="ArgumentException"/> with a user-facing message when it cannot.</summary>
    public static MetricsEndpoint Start(string hostAndPort, StatusBoard board, bool udp)
    {
        (string host, int port) = Parse(hostAndPort);
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        MetricFactory factory = Metrics.WithCustomRegistry(registry);
        Gauge info = factory.CreateGauge("reverb_info", "Always 1; the labels describe the server.", "model");
        Counter accepted = factory.CreateCounter("reverb_connections_accepted_total", "TCP connections accepted, rejected ones included.");
        Gauge active = factory.CreateGauge("reverb_connections_active", "TCP connections being echoed now.");
        Counter rejected = factory.CreateCounter("reverb_connections_rejected_total", "TCP connections closed without an echo, by reason.", "reason");
        Counter bytesIn = factory.CreateCounter("reverb_received_bytes_total", "Bytes received from TCP clients.");
        Counter bytesOut = factory.CreateCounter("reverb_sent_bytes_total", "Bytes echoed back to TCP clients.");
        Gauge workers = factory.CreateGauge("reverb_workers", "Worker processes by state (the process and workers models).", "state");
        Counter crashes = factory.CreateCounter("reverb_worker_crashes_total", "Worker processes that died unasked.");
        Counter? udpEchoed = udp ? factory.CreateCounter("reverb_udp_datagrams_echoed_total", "UDP datagrams echoed.") : null;
        Counter? udpRefused = udp ? factory.CreateCounter("reverb_udp_datagrams_refused_total", "UDP datagrams not answered (service source ports, rate limit).") : null;
        info.WithLabels(board.Model).Set(1);

        registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            ServerStatus status = await board.CaptureAsync(cancellationToken).ConfigureAwait(false);
            StatusTotals t = status.Totals;

            // Counters only go up: a figure lost with a crashed worker must not make one fall.
            accepted.IncTo(t.Accepted);
            active.Set(t.Active);
            rejected.WithLabels("per_source").IncTo(t.RejectedPerSource);
            rejected.WithLabels("proxy_header").IncTo(t.RejectedProxyHeader);
            bytesIn.IncTo(t.BytesIn);
            bytesOut.IncTo(t.BytesOut);
            crashes.IncTo(t.WorkerCrashes);
            foreach (string state in KnownWorkerStates.Union(t.WorkersByState.Keys))
            {
                workers.WithLabels(state).Set(t.WorkersByState.GetValueOrDefault(state));
            }

            udpEchoed?.IncTo(t.UdpEchoed ?? 0);
            udpRefused?.IncTo(t.UdpRefused ?? 0);
        });

        var server = new MetricServer(host, port, url: "metrics/", registry: registry);
        try
        {
            server.Start();
        }
        catch (HttpListenerException ex)
        {
            server.Dispose();
            throw new ArgumentException(ex.ErrorCode == 98 ? $"{hostAndPort} is already in use" : $"cannot listen on {hostAndPort}: {ex.Message}");
        }

        return new MetricsEndpoint(server);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync().ConfigureAwait(false);
        _server.Dispose();
    }

    /// <summary>HOST:PORT or :PORT. HttpListener takes IPv4 addresses and names only; 0.0.0.0 or no host means every IPv4 address.</summary>
    internal static (string Host, int Port) Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"'{text}' is not HOST:PORT (for example 127.0.0.1:9100 or :9100)");
        }

        string host = text[..colon];
        if (host.Contains(':', StringComparison.Ordinal) || host.StartsWith('['))
        {
            throw new ArgumentException($"'{text}': IPv6 addresses are not supported here; use an IPv4 address, a host name, or :{port} for every IPv4 address");
        }

        return (host is "" or "0.0.0.0" or "*" ? "+" : host, port);
    }
}
