using HdrHistogram;

namespace Reverb.Bench;

/// <summary>Latency percentiles in microseconds, read from the merged histogram of all workers.</summary>
internal sealed record LatencySummary(long P50, long P90, long P99, long P999, long Max, long Count)
{
    /// <summary>Null when nothing was recorded, so an empty run never shows made-up zeros.</summary>
    public static LatencySummary? From(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return null;
        }

        return new LatencySummary(
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(90),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetMaxValue(),
            histogram.TotalCount);
    }
}
