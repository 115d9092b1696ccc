namespace Reverb.Bench;

/// <summary>
/// The outcome of one run. Rates that do not apply to the workload are null rather than zero, so the table and
/// the JSON can tell "not measured" from "nothing happened".
/// </summary>
internal sealed record BenchResult(
    BenchSettings Settings,
    double MeasuredSeconds,
    BenchTotals Totals,
    LatencySummary? Latency,
    IdleOutcome? Idle)
{
    private const double BytesPerMegabyte = 1_000_000;

    /// <summary>Managed bytes the load generator allocated during the measurement window, when measured.</summary>
    public long? AllocatedBytes { get; init; }

    private BenchWorkload Workload => Settings.Workload;

    public double? RoundTripsPerSecond => Workload == BenchWorkload.Pingpong ? Rate(Totals.RoundTrips) : null;

    public double? MegabytesPerSecond =>
        Workload is BenchWorkload.Pingpong or BenchWorkload.Stream ? Rate(Totals.Bytes) / BytesPerMegabyte : null;

    public double? ConnectionsPerSecond => Workload == BenchWorkload.Churn ? Rate(Totals.RoundTrips) : null;

    /// <summary>True when every echo that came back was correct and nothing failed.</summary>
    public bool IsClean =>
        Totals.Errors == 0 && Totals.Timeouts == 0 && Totals.Mismatches == 0
        && (Idle is null || (Idle.Established == Settings.Connections && Idle.Echoed == Idle.Sampled));

    private double Rate(long count) => MeasuredSeconds > 0 ? count / MeasuredSeconds : 0;
}
