using Reverb.Bench;
namespace Reverb.Compare;

/// <summary>What one `reverb bench` child process left: its figures (null if it wrote none) and how it exited.</summary>
internal sealed record BenchOutcome(BenchJsonReport? Figures, int ExitCode, string? ErrorTail)
{
    /// <summary>Why there are no figures, for the report.</summary>
    public string Describe() => ExitCode == BenchInvocation.TimedOut
        ? "the bench did not finish in time and was killed"
        : $"the bench exited with code {ExitCode}{(ErrorTail is null ? string.Empty : $": {ErrorTail}")}";
}
