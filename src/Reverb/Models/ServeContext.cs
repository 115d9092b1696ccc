using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Supervision;

namespace Reverb.Models;

/// <summary>What every model is given: a bound listener and the user's settings.</summary>
internal sealed record ServeContext(
    Socket Listener,
    ListenEndpoint Endpoint,
    EchoOptions Echo,
    int MaxClients,
    TimeSpan DrainTimeout,
    PoolOptions Pool,
    int Workers,
    LogLevel LogLevel,
    ILogger Logger)
{
    /// <summary>Readiness line: tests and scripts wait for "listening on".</summary>
    public void ReportListening(string model, string details)
    {
        var bound = (System.Net.IPEndPoint)Listener.LocalEndPoint!;
        Logger.LogInformation("listening on {Endpoint} (model {Model}, pid {Pid}; {Details})", bound, model, Environment.ProcessId, details);
    }
}
