namespace Reverb.Bench;

/// <summary>The counters of all workers added up: for the live progress line and for the final result.</summary>
internal readonly record struct BenchTotals(
    long RoundTrips,
    long Bytes,
    long Errors,
    long Refused,
    long Resets,
    long Timeouts,
    long Mismatches)
{
    public static BenchTotals Sum(IEnumerable<WorkerStats> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        long roundTrips = 0, bytes = 0, errors = 0, refused = 0, resets = 0, timeouts = 0, mismatches = 0;
        foreach (var stats in workers)
        {
            roundTrips += Volatile.Read(ref stats.RoundTrips);
            bytes += Volatile.Read(ref stats.Bytes);
            errors += Volatile.Read(ref stats.Errors);
            refused += Volatile.Read(ref stats.Refused);
            resets += Volatile.Read(ref stats.Resets);
            timeouts += Volatile.Read(ref stats.Timeouts);
            mismatches += Volatile.Read(ref stats.Mismatches);
        }

        return new BenchTotals(roundTrips, bytes, errors, refused, resets, timeouts, mismatches);
    }
}
