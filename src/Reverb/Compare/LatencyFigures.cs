namespace Reverb.Compare;

/// <summary>Latency percentiles in microseconds, as `reverb bench --json` writes them.</summary>
internal sealed record LatencyFigures
{
    public long P50 { get; init; }

    public long P90 { get; init; }

    public long P99 { get; init; }

    public long P999 { get; init; }

    public long Max { get; init; }

    public long Count { get; init; }
}
