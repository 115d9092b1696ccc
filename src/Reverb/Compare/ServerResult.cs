namespace Reverb.Compare;

/// <summary>All steps against one server, and why its run ended early if it did.</summary>
internal sealed record ServerResult
{
    public required string Name { get; init; }

    public required string Command { get; init; }

    public required bool IsPeer { get; init; }

    /// <summary>True when the bench sent it printable, newline-terminated payloads (`--text`) instead of random bytes.</summary>
    public bool TextPayloads { get; init; }

    public required IReadOnlyList<StepResult> Steps { get; init; }

    /// <summary>Where and how the server stopped coping (its first failed idle step), or why it did not start.</summary>
    public string? Failure { get; init; }

    public StepResult? Find(string workload, int connections, int size) =>
        Steps.FirstOrDefault(s => s.Matches(workload, connections, size));
}
