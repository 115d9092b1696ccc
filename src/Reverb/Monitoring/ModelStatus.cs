using Reverb.Serving;
namespace Reverb.Monitoring;

/// <summary>What a concurrency model reports about itself; <see cref="StatusBoard"/> adds the rest.</summary>
/// <param name="MasterClients">Clients served inside the master process (the single-process models).</param>
/// <param name="Workers">The worker processes (the multi-process models).</param>
internal sealed record ModelStatus(
    IReadOnlyList<ClientStatus> MasterClients,
    IReadOnlyList<ProcessStatus> Workers,
    ConnectionTotals Totals,
    long WorkerCrashes);
