namespace Reverb.Compare;

/// <summary>
/// The part of `reverb bench --json` that compare uses. Rates that do not apply to a workload are null there
/// and stay null here.
/// </summary>
internal sealed record BenchFigures
{
    public string Workload { get; init; } = string.Empty;

    public int Connections { get; init; }

    public int Size { get; init; }

    public double DurationSeconds { get; init; }

    public double? RoundTripsPerSecond { get; init; }

    public double? MegabytesPerSecond { get; init; }

    public double? ConnectionsPerSecond { get; init; }

    public LatencyFigures? LatencyUs { get; init; }

    public long RoundTrips { get; init; }

    public long Errors { get; init; }

    public long Refused { get; init; }

    public long Resets { get; init; }

    public long Timeouts { get; init; }

    public long Mismatches { get; init; }

    public long? Established { get; init; }

    public long? Sampled { get; init; }

    public long? Echoed { get; init; }

    /// <summary>Anything that went wrong, as a short phrase; null when the run was clean.</summary>
    public string? Problems()
    {
        var problems = new List<string>();
        if (Workload != WorkloadStep.Idle && RoundTrips == 0)
        {
            // A server that swallows part of a message leaves the bench waiting: no echo, yet nothing failed.
            problems.Add("no echo completed");
        }

        Add(problems, Errors, "errors");
        Add(problems, Timeouts, "timeouts");
        Add(problems, Mismatches, "mismatched echoes");
        if (Established is { } established && established < Connections)
        {
            problems.Add($"{established:N0} of {Connections:N0} connections established");
        }

        if (Sampled is { } sampled && Echoed is { } echoed && echoed < sampled)
        {
            problems.Add($"{echoed:N0} of {sampled:N0} sampled connections echoed");
        }

        return problems.Count == 0 ? null : string.Join(", ", problems);
    }

    private static void Add(List<string> problems, long count, string what)
    {
        if (count > 0)
        {
            problems.Add($"{count:N0} {what}");
        }
    }
}
