using HdrHistogram;

namespace Reverb.Bench;

/// <summary>
/// Counters and a latency histogram owned by one worker. Only that worker writes them, so there is no
/// contention on the hot path; the progress display reads them racily, which is fine for a live figure.
/// </summary>
internal sealed class WorkerStats
{
    /// <summary>Latencies are recorded in microseconds, up to an hour, with 3 significant digits.</summary>
    private const long HighestLatencyUs = 3_600_000_000;

    public LongHistogram Latency { get; } = NewLatencyHistogram();

    public long RoundTrips;
    public long Bytes;
    public long Errors;
    public long Refused;
    public long Resets;
    public long Timeouts;
    public long Mismatches;

    /// <summary>A histogram with the range and precision every latency in a run uses, so they can be merged.</summary>
    public static LongHistogram NewLatencyHistogram() => new(1, HighestLatencyUs, 3);

    public void RecordLatency(long ticks)
    {
        long us = (long)BenchClock.ToMicroseconds(ticks);
        Latency.RecordValue(Math.Clamp(us, 1, HighestLatencyUs));
    }

    public void RecordFailure(FailureKind kind)
    {
        switch (kind)
        {
            case FailureKind.Timeout:
                Timeouts++;
                return;
            case FailureKind.Refused:
                Refused++;
                break;
            case FailureKind.Reset:
                Resets++;
                break;
            default:
                break;
        }

        Errors++;
    }
}
