using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Models;
using Reverb.Proxy;
using Reverb.Supervision;

namespace Reverb.Commands;

/// <summary>The validated options of <c>reverb serve</c>. <see cref="UdpRate"/> is null without --udp, <see cref="Metrics"/> without --metrics.</summary>
internal sealed record ServeSettings(
    IReadOnlyList<string> Hosts,
    int Port,
    ServerModelKind Model,
    EchoOptions Echo,
    int Workers,
    int ClientsPerProcess,
    int MaxClients,
    TimeSpan DrainTimeout,
    int Backlog,
    LogLevel LogLevel,
    LogFormat LogFormat,
    bool Inetd,
    bool ProxyProtocol,
    int? UdpRate,
    int MaxPerSource,
    string? Metrics,
    TimeSpan ProxyTimeout,
    TrustedProxies? TrustedProxies = null);
