using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Proxy;

namespace Reverb.Hosting;

/// <summary>
/// Serves one accepted client wherever it runs: with --proxy-protocol, first its PROXY header (the
/// real client's address; a connection without a valid header is rejected), then the shared echo loop.
/// </summary>
internal sealed class ClientSession
{
    private readonly EchoOptions _echo;
    private readonly bool _proxyProtocol;
    private readonly ILogger _logger;
    private readonly TimeSpan _proxyTimeout;

    // Anyone can connect without a header, as often as they like: the first rejection is logged at
    // once, then at most one line a second counting the others.
    private readonly LogThrottle _rejections = new(TimeSpan.FromSeconds(1));

    /// <param name="proxyTimeout">How long a client may take to send its PROXY header; null: <see cref="ProxyHeaderReader.DefaultTimeout"/>.</param>
    public ClientSession(EchoOptions echo, bool proxyProtocol, ILogger logger, TimeSpan? proxyTimeout = null)
    {
        _echo = echo;
        _proxyProtocol = proxyProtocol;
        _logger = logger;
        _proxyTimeout = proxyTimeout ?? ProxyHeaderReader.DefaultTimeout;
    }

    /// <param name="peer">The TCP peer (the proxy itself, behind a proxy).</param>
    /// <param name="counters">Where the echo loop keeps its running byte counts.</param>
    /// <param name="onClient">Told the client's name for logs: "REAL via PROXY" behind a proxy.</param>
    public async Task<EchoResult> RunAsync(Socket socket, string peer, bool blocking, EchoCounters counters, Action<string, ProxyHeader> onClient, CancellationToken close)
    {
        string client = peer;
        if (_proxyProtocol)
        {
            ProxyHeader header;
            try
            {
                header = await ProxyHeaderReader.ReadAsync(socket, _proxyTimeout, close).ConfigureAwait(false);
            }
            catch (ProxyProtocolException ex)
            {
                if (_rejections.Allow(out long heldBack))
                {
                    ServerLog.RejectedProxyHeader(_logger, peer, ex.Message, LogThrottle.HeldBackNote(heldBack, "rejected"));
                }

                return new EchoResult(0, 0, TimeSpan.Zero, EchoEnd.Rejected);
            }
            catch (OperationCanceledException)
            {
                return new EchoResult(0, 0, TimeSpan.Zero, EchoEnd.Shutdown);
            }

            client = header.Source is { } source ? $"{source} via {peer}" : $"{peer} (proxy health check)";
            onClient(client, header);
        }

        return await new EchoConnection(socket, _echo, _logger, client, blocking, counters).RunAsync(close).ConfigureAwait(false);
    }
}
