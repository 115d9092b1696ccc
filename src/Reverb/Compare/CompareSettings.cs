namespace Reverb.Compare;

/// <summary>Everything one `reverb compare` run needs, already validated by the command line.</summary>
internal sealed record CompareSettings(
    IReadOnlyList<ServerDefinition> Servers,
    WorkloadPlan Plan,
    TimeSpan Duration,
    TimeSpan Warmup,
    DirectoryInfo Output,
    TimeSpan? Budget,
    string CommandLine);
