using Reverb.Monitoring;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>A worker's answer to a query: its open connections and its totals.</summary>
internal sealed record WorkerReport(IReadOnlyList<ClientStatus> Clients, ConnectionTotals Totals);
