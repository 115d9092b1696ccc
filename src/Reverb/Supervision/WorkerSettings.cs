using System.Globalization;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Proxy;

namespace Reverb.Supervision;

/// <summary>Everything a worker process needs to know, passed on its command line.</summary>
/// <param name="MaxPerSource">--max-conns-per-source (workers model: the worker asks the master about each client); 0: none.</param>
/// <param name="ProxyTimeout">--proxy-timeout; null: the default.</param>
/// <param name="TrustedProxies">--trusted-proxy ranges (empty: any peer's PROXY header is believed).</param>
internal sealed record WorkerSettings(WorkerRole Role, EchoOptions Echo, bool ProxyProtocol, int MaxClients, TimeSpan Drain, LogLevel LogLevel, LogFormat LogFormat, int MaxPerSource = 0, TimeSpan? ProxyTimeout = null, IReadOnlyList<CidrRange>? TrustedProxies = null)
{
    public IEnumerable<string> ToArguments(int channelFd, int masterPid)
    {
        yield return "worker";
        yield return "--role";
        yield return "multiplex";
        yield return "--master";
        yield return masterPid.ToString(CultureInfo.InvariantCulture);
        yield return "--channel-fd";
        yield return channelFd.ToString(CultureInfo.InvariantCulture);
        yield return "--buffer-size";
        yield return Echo.BufferSize.ToString(CultureInfo.InvariantCulture);
        yield return "--idle-timeout-ms";
        yield return ((long)(Echo.IdleTimeout?.TotalMilliseconds ?? 0)).ToString(CultureInfo.InvariantCulture);
        yield return "--max-clients";
        yield return MaxClients.ToString(CultureInfo.InvariantCulture);
        yield return "--drain-ms";
        yield return ((long)Drain.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        yield return "--log-level";
        yield return LogLevel.ToString();
        if (LogFormat == LogFormat.Json)
        {
            yield return "--log-json";
        }

        if (MaxPerSource > 0)
        {
            yield return "--max-per-source";
            yield return MaxPerSource.ToString(CultureInfo.InvariantCulture);
        }

        if (ProxyProtocol)
        {
            yield return "--proxy-protocol";
        }

        if (ProxyProtocol && ProxyTimeout is { } headerTimeout)
        {
            yield return "--proxy-timeout-ms";
            yield return ((long)headerTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        foreach (CidrRange range in TrustedProxies ?? [])
        {
            yield return "--trusted-proxy";
            yield return range.ToString();
        }

        if (Echo.LogChunks)
        {
            yield return "--log-chunks";
        }
    }
}
