using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Monitoring;
using Reverb.Proxy;
using Reverb.Serving;
using Reverb.Supervision;

namespace Reverb.Models;

/// <summary>What every model is given: a bound listener and the user's settings.</summary>
/// <param name="MaxPerSource">--max-conns-per-source; 0: no limit.</param>
/// <param name="Status">Where the model reports itself once running, for status and metrics.</param>
/// <param name="ProxyTimeout">--proxy-timeout: how long a client may take to send its PROXY header; null: the default.</param>
/// <param name="TrustedProxies">
/// --trusted-proxy: whose PROXY headers are believed (null or empty: anyone's); behind one of them,
/// --max-conns-per-source counts the real client. Each range is also available as 16 network bytes
/// and a prefix length (<see cref="Proxy.CidrRange.WriteNetwork"/>, <see cref="Proxy.CidrRange.PrefixLength"/>)
/// for code that must not allocate.
/// </param>
/// <param name="ListenersPassed">
/// The listeners were passed by a service manager (socket activation), which keeps them across
/// restarts: the workers model then shares them rather than adding SO_REUSEPORT sockets of its own.
/// </param>
/// <param name="Control">Reload and upgrade requests from the master's signals; null: none.</param>
internal sealed record ServeContext(
    IReadOnlyList<Socket> Listeners,
    EchoOptions Echo,
    bool ProxyProtocol,
    int MaxClients,
    TimeSpan DrainTimeout,
    int Workers,
    int ClientsPerProcess,
    int Backlog,
    LogLevel LogLevel,
    LogFormat LogFormat,
    int MaxPerSource,
    StatusBoard Status,
    ILogger Logger,
    TimeSpan? ProxyTimeout = null,
    TrustedProxies? TrustedProxies = null,
    bool ListenersPassed = false,
    ServeControl? Control = null)
{
    /// <summary>How long clients may take once the model stops: the drain timeout, or no limit when handing over to a new master.</summary>
    public TimeSpan? StopDrain => Control?.HandingOver == true ? null : DrainTimeout;

    /// <summary>Readiness lines, one per listening socket: tests and scripts wait for "listening on".</summary>
    public void ReportListening(string model, string details)
    {
        foreach (Socket listener in Listeners)
        {
            var bound = (System.Net.IPEndPoint)listener.LocalEndPoint!;
            ServerLog.Listening(Logger, bound, model, Environment.ProcessId, details);
        }
    }

    /// <summary>A fresh --max-conns-per-source count for the model to keep; null when there is no limit.</summary>
    public SourceLimit? NewSourceLimit() => MaxPerSource > 0 ? new SourceLimit(MaxPerSource) : null;

    /// <summary>Stops accepting: new clients are refused rather than left waiting.</summary>
    public void CloseListeners()
    {
        foreach (Socket listener in Listeners)
        {
            listener.Dispose();
        }
    }
}
