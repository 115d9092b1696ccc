namespace Reverb.Bench;

/// <summary>
/// What <c>reverb bench --json</c> writes, and what <c>reverb compare</c> reads back: one schema, serialized by
/// <see cref="BenchJsonContext"/> both ways. Rates and idle counts that do not apply to a workload are null, written
/// as explicit nulls; figures are rounded to three decimals.
/// </summary>
internal sealed record BenchJsonReport
{
    public string Workload { get; init; } = string.Empty;

    public string Host { get; init; } = string.Empty;

    public int Port { get; init; }

    public int Connections { get; init; }

    public int Size { get; init; }

    public int Pipeline { get; init; }

    public int Seed { get; init; }

    public string Payload { get; init; } = string.Empty;

    public double WarmupSeconds { get; init; }

    public double DurationSeconds { get; init; }

    public double? RoundTripsPerSecond { get; init; }

    public double? MegabytesPerSecond { get; init; }

    public double? ConnectionsPerSecond { get; init; }

    public LatencySummary? LatencyUs { get; init; }

    public long RoundTrips { get; init; }

    public long Bytes { get; init; }

    public long Errors { get; init; }

    public long Refused { get; init; }

    public long Resets { get; init; }

    public long Timeouts { get; init; }

    public long Mismatches { get; init; }

    public long? Established { get; init; }

    public long? Sampled { get; init; }

    public long? Echoed { get; init; }

    public long? GeneratorAllocatedBytes { get; init; }

    public static BenchJsonReport From(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        BenchSettings settings = result.Settings;
        BenchTotals totals = result.Totals;
        return new BenchJsonReport
        {
            Workload = settings.Workload.ToString().ToLowerInvariant(),
            Host = settings.Target.Address.ToString(),
            Port = settings.Target.Port,
            Connections = settings.Connections,
            Size = settings.Size,
            Pipeline = settings.Pipeline,
            Seed = settings.Seed,
            Payload = settings.PayloadDescription,
            WarmupSeconds = settings.Warmup.TotalSeconds,
            DurationSeconds = Math.Round(result.MeasuredSeconds, 3),
            RoundTripsPerSecond = Rounded(result.RoundTripsPerSecond),
            MegabytesPerSecond = Rounded(result.MegabytesPerSecond),
            ConnectionsPerSecond = Rounded(result.ConnectionsPerSecond),
            LatencyUs = result.Latency,
            RoundTrips = totals.RoundTrips,
            Bytes = totals.Bytes,
            Errors = totals.Errors,
            Refused = totals.Refused,
            Resets = totals.Resets,
            Timeouts = totals.Timeouts,
            Mismatches = totals.Mismatches,
            Established = result.Idle?.Established,
            Sampled = result.Idle?.Sampled,
            Echoed = result.Idle?.Echoed,
            GeneratorAllocatedBytes = result.AllocatedBytes,
        };
    }

    private static double? Rounded(double? value) => value is { } number ? Math.Round(number, 3) : null;
}
