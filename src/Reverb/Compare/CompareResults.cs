namespace Reverb.Compare;

/// <summary>A whole compare run: what was asked, on what machine, and every server's steps. Written as results.json.</summary>
internal sealed record CompareResults
{
    public required DateTimeOffset StartedAt { get; init; }

    public required string Command { get; init; }

    public required string Machine { get; init; }

    public required double DurationSeconds { get; init; }

    public required double WarmupSeconds { get; init; }

    public required double EstimatedSeconds { get; init; }

    public required double BudgetSeconds { get; init; }

    public required double ElapsedSeconds { get; init; }

    public required int SkippedForBudget { get; init; }

    public required WorkloadPlan Plan { get; init; }

    public required IReadOnlyList<ServerResult> Servers { get; init; }
}
