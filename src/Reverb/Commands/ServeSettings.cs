using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Models;
using Reverb.Proxy;
using Reverb.Supervision;

namespace Reverb.Commands;

/// <summary>The validated options of <c>reverb serve</c>. <see cref="Metrics"/> is null without --metrics.</summary>
/// <param name="Udp">--udp: bind UDP beside the TCP listeners (not under socket activation with datagram sockets passed).</param>
/// <param name="UdpRate">--udp-rate, for --udp and for the datagram sockets a service manager passes.</param>
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
    bool Udp,
    int UdpRate,
    int MaxPerSource,
    string? Metrics,
    TimeSpan ProxyTimeout,
    TrustedProxies? TrustedProxies = null);
