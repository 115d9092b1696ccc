using Reverb.Serving;
namespace Reverb.Monitoring;

/// <summary>What <c>reverb status</c> shows: one running server, its processes, clients and totals.</summary>
internal sealed record ServerStatus(
    int Pid,
    string Model,
    string State,
    DateTimeOffset Started,
    IReadOnlyList<string> Listening,
    IReadOnlyList<ProcessStatus> Processes,
    StatusTotals Totals);

/// <summary>The master or one worker. Role is "master" or "worker".</summary>
internal sealed record ProcessStatus(int Pid, int ParentPid, string Role, string State, IReadOnlyList<ClientStatus> Clients);

/// <summary>One open connection.</summary>
internal sealed record ClientStatus(string Client, long BytesIn, long BytesOut, DateTimeOffset Since)
{
    public static ClientStatus Of(LiveConnection connection) =>
        new(connection.Client?.ToString() ?? connection.Name, connection.Counters.BytesIn, connection.Counters.BytesOut, connection.Since);
}

/// <summary>Since the server started. UDP figures are null when --udp is off.</summary>
internal sealed record StatusTotals(
    long Accepted,
    long Active,
    long RejectedPerSource,
    long RejectedProxyHeader,
    long BytesIn,
    long BytesOut,
    long WorkerCrashes,
    long? UdpEchoed,
    long? UdpRefused,
    Dictionary<string, int> WorkersByState);
