using Reverb.Bench;

namespace Reverb.Compare;

/// <summary>What went wrong in one bench run, as compare reports it beside the figures.</summary>
internal static class BenchProblems
{
    /// <summary>Anything that went wrong, as a short phrase; null when the run was clean.</summary>
    public static string? Of(BenchJsonReport figures)
    {
        var problems = new List<string>();
        ArgumentNullException.ThrowIfNull(figures);
        if (figures.Workload != WorkloadStep.Idle && figures.RoundTrips == 0)
        {
            // A server that swallows part of a message leaves the bench waiting: no echo, yet nothing failed.
            problems.Add("no echo completed");
        }

        Add(problems, figures.Errors, "errors");
        Add(problems, figures.Timeouts, "timeouts");
        Add(problems, figures.Mismatches, "mismatched echoes");
        if (figures.Established is { } established && established < figures.Connections)
        {
            problems.Add($"{established:N0} of {figures.Connections:N0} connections established");
        }

        if (figures.Sampled is { } sampled && figures.Echoed is { } echoed && echoed < sampled)
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
