using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Prometheus;
using Reverb.Hosting;
using Reverb.Listening;

namespace Reverb.Monitoring;

/// <summary>
/// --metrics HOST:PORT: Prometheus text format at /metrics, /healthz (200 while serving, 503
/// while starting or draining) for load balancers and orchestrators, and /livez (200 as long as the
/// endpoint answers, for liveness checks that must not fail during a drain). prometheus-net keeps the metrics (a
/// registry of our own, no process-wide state) and writes the exposition format; every scrape asks
/// the running model first, so the figures are as of the scrape.
/// </summary>
/// <remarks>
/// The HTTP side is a few lines over a plain socket rather than prometheus-net's MetricServer: that
/// one is built on HttpListener, which cannot listen on IPv6, answers 404 when the Host header is not
/// the exact name it was given (localhost versus 127.0.0.1), and, linked into the one executable,
/// made every idle worker process 0.8 MB bigger (PSS: 6.8 instead of 6.1 MB).
/// </remarks>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    private const int MaxRequestHead = 8 * 1024;

    /// <summary>Scrapers are few; more connections than this wait in the listen queue (64), the rest are not taken.</summary>
    internal const int MaxConcurrentRequests = 16;

    /// <summary>A whole request, answer included; a connection that sends nothing is closed after it.</summary>
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly string[] KnownWorkerStates = ["accepting", "draining", "busy", "starting", "serving", "not answering"];

    private readonly RequestListener _requests;
    private readonly CollectorRegistry _registry;
    private readonly StatusBoard _board;

    private MetricsEndpoint(Socket listener, CollectorRegistry registry, StatusBoard board, ILogger logger)
    {
        Listener = listener;
        _registry = registry;
        _board = board;
        _requests = new RequestListener(listener, MaxConcurrentRequests, RequestTimeout, AnswerAsync, logger);
    }

    /// <summary>Serves the metrics; throws <see cref="ArgumentException"/> (bad address) or ServerStartException (cannot listen).</summary>
    /// <param name="inherited">The listening socket the master this one upgrades served on: used instead of binding.</param>
    public static MetricsEndpoint Start(string hostAndPort, StatusBoard board, bool udp, ILogger logger, Socket? inherited = null)
    {
        (string host, int port) = Parse(hostAndPort);
        Socket listener = inherited ?? ServerListener.Listen(ListenEndpoint.Resolve(host, port), backlog: 64);
        return new MetricsEndpoint(listener, CreateRegistry(board, udp), board, logger);
    }

    /// <summary>The listening socket, for an upgrade to hand down.</summary>
    public Socket Listener { get; }

    /// <summary>Where the metrics are served (with port 0, on the port the system picked).</summary>
    public string Url => $"http://{_requests.LocalEndPoint}/metrics";

    public ValueTask DisposeAsync() => _requests.DisposeAsync();

    /// <summary>HOST:PORT, [IPV6]:PORT or :PORT (every IPv4 address); port 0 picks a free one.</summary>
    internal static (string Host, int Port) Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ArgumentException($"'{text}' is not HOST:PORT (for example 127.0.0.1:9100, [::1]:9100 or :9100)");
        }

        string host = text[..colon];
        if (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']')))
        {
            throw new ArgumentException($"'{text}': write an IPv6 address in brackets, for example [::1]:9100");
        }

        return (host.Length == 0 ? "0.0.0.0" : host, port);
    }

    private static CollectorRegistry CreateRegistry(StatusBoard board, bool udp)
    {
        CollectorRegistry registry = Metrics.NewCustomRegistry();
        MetricFactory factory = Metrics.WithCustomRegistry(registry);
        Gauge info = factory.CreateGauge("reverb_info", "Always 1; the labels describe the server.", "model", "version");
        Counter accepted = factory.CreateCounter("reverb_connections_accepted_total", "TCP connections accepted, rejected ones included.");
        Gauge active = factory.CreateGauge("reverb_connections_active", "TCP connections being echoed now.");
        Counter rejected = factory.CreateCounter("reverb_connections_rejected_total", "TCP connections closed without an echo, by reason.", "reason");
        Counter bytesIn = factory.CreateCounter("reverb_received_bytes_total", "Bytes received from TCP clients.");
        Counter bytesOut = factory.CreateCounter("reverb_sent_bytes_total", "Bytes echoed back to TCP clients.");
        Gauge workers = factory.CreateGauge("reverb_workers", "Worker processes by state (the process and workers models).", "state");
        Counter crashes = factory.CreateCounter("reverb_worker_crashes_total", "Worker processes that died unasked.");
        Counter? udpEchoed = udp ? factory.CreateCounter("reverb_udp_datagrams_echoed_total", "UDP datagrams echoed.") : null;
        Counter? udpRefused = udp ? factory.CreateCounter("reverb_udp_datagrams_refused_total", "UDP datagrams not answered (service source ports, rate limit).") : null;
        info.WithLabels(board.Model, ReverbVersion.Informational).Set(1);

        registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            ServerStatus status = await board.CaptureAsync(cancellationToken, totalsOnly: true).ConfigureAwait(false);
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
        return registry;
    }

    /// <summary>One request per connection (Connection: close), which is all a scraper needs.</summary>
    private async Task AnswerAsync(Socket client, CancellationToken cancellationToken)
    {
        string? requestLine = await ReadRequestLineAsync(client, cancellationToken).ConfigureAwait(false);
        MetricsRequest request = MetricsRequest.Parse(requestLine);
        switch (request.Kind)
        {
            case MetricsRequestKind.BadRequest:
                await RespondAsync(client, "400 Bad Request", "text/plain", "expected GET /metrics\n"u8.ToArray(), true, cancellationToken).ConfigureAwait(false);
                break;
            case MetricsRequestKind.MethodNotAllowed:
                await RespondAsync(client, "405 Method Not Allowed", "text/plain", "only GET and HEAD\n"u8.ToArray(), true, cancellationToken).ConfigureAwait(false);
                break;
            case MetricsRequestKind.Metrics:
                using (var body = new MemoryStream())
                {
                    await _registry.CollectAndExportAsTextAsync(body, cancellationToken).ConfigureAwait(false);
                    await RespondAsync(client, "200 OK", ContentType, body.ToArray(), request.WithBody, cancellationToken).ConfigureAwait(false);
                }

                break;
            case MetricsRequestKind.Health or MetricsRequestKind.Liveness:
                // The board's state alone: no model or worker is asked, so a check every second costs nothing.
                // /livez is 200 in every state: a drain is no reason to restart (Kubernetes' liveness probe).
                string state = _board.State;
                bool healthy = state == "serving" || request.Kind == MetricsRequestKind.Liveness;
                await RespondAsync(client, healthy ? "200 OK" : "503 Service Unavailable", "text/plain", Encoding.ASCII.GetBytes(state + "\n"), request.WithBody, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await RespondAsync(client, "404 Not Found", "text/plain", "reverb serves its metrics at /metrics and its health at /healthz\n"u8.ToArray(), request.WithBody, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>The request line, once the whole head has arrived; null if it is too long or the client closes first.</summary>
    private static async Task<string?> ReadRequestLineAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] head = new byte[MaxRequestHead];
        int length = 0;
        while (length < head.Length)
        {
            int n = await client.ReceiveAsync(head.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            length += n;
            int end = head.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                int line = head.AsSpan(0, end).IndexOf("\r\n"u8);
                return Encoding.ASCII.GetString(head, 0, line >= 0 ? line : end);
            }
        }

        return null;
    }

    private static async Task RespondAsync(Socket client, string status, string contentType, byte[] body, bool withBody, CancellationToken cancellationToken)
    {
        string head = string.Create(
            CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await client.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (withBody)
        {
            await client.SendAsync(body, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        client.Shutdown(SocketShutdown.Send);
    }
}
