using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Proxy;

namespace Reverb.Serving;

/// <summary>
/// Serves one accepted client wherever it runs: with --proxy-protocol, first its PROXY header (the
/// real client's address; a connection without a valid header, or from a peer that is not a
/// --trusted-proxy, is rejected), then the shared echo loop.
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
    private readonly LogThrottle _untrustedNotice = new(TimeSpan.FromSeconds(10));

    /// <param name="proxyTimeout">How long a client may take to send its PROXY header; null: <see cref="ProxyHeaderReader.DefaultTimeout"/>.</param>
    /// <param name="trusted">--trusted-proxy: whose headers are believed; null: anyone's.</param>
    public ClientSession(EchoOptions echo, bool proxyProtocol, ILogger logger, TimeSpan? proxyTimeout = null, TrustedProxies? trusted = null)
    {
        _echo = echo;
        _proxyProtocol = proxyProtocol;
        _logger = logger;
        _proxyTimeout = proxyTimeout ?? ProxyHeaderReader.DefaultTimeout;
        Trusted = trusted ?? TrustedProxies.Anyone;
    }

    public TrustedProxies Trusted { get; }

    /// <summary>
    /// Whether a client from <paramref name="peer"/> is counted per source by the real client its
    /// header names (a trusted proxy from a --trusted-proxy list) rather than by the TCP peer.
    /// </summary>
    public bool CountsRealClient(System.Net.IPAddress? peer) => _proxyProtocol && Trusted.IsRestricted && Trusted.Trusts(peer);

    /// <param name="peer">The TCP peer (the proxy itself, behind a proxy).</param>
    /// <param name="counters">Where the echo loop keeps its running byte counts.</param>
    /// <param name="onClient">Told the client's name for logs: "REAL via PROXY" behind a proxy.</param>
    /// <param name="admitClient">
    /// Asked, once the header is read, whether the real client it names may be served
    /// (--max-conns-per-source behind a trusted proxy); false rejects the connection. Null: no question.
    /// </param>
    public async Task<EchoResult> RunAsync(Socket socket, string peer, bool blocking, EchoCounters counters, Action<string, ProxyHeader> onClient, CancellationToken close, Func<ProxyHeader, ValueTask<bool>>? admitClient = null)
    {
        string client = peer;
        if (_proxyProtocol)
        {
            if (Trusted.IsRestricted && !Trusted.Trusts(PeerAddress(socket)))
            {
                NoticeUntrusted(peer);
                return new EchoResult(0, 0, TimeSpan.Zero, EchoEnd.Rejected);
            }

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
            if (admitClient is not null && !await admitClient(header).ConfigureAwait(false))
            {
                return new EchoResult(0, 0, TimeSpan.Zero, EchoEnd.RefusedPerSource);
            }
        }

        return await new EchoConnection(socket, _echo, _logger, client, blocking, counters).RunAsync(close).ConfigureAwait(false);
    }

    private static System.Net.IPAddress? PeerAddress(Socket socket)
    {
        try
        {
            return (socket.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    // A peer can repeat this at will: the first line at once, then at most one every 10 s with a count.
    private void NoticeUntrusted(string peer)
    {
        if (_untrustedNotice.Allow(out long held))
        {
            ServerLog.UntrustedProxy(_logger, peer, LogThrottle.More(held));
        }
    }
}
