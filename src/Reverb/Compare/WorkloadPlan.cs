namespace Reverb.Compare;

/// <summary>
/// The steps every server goes through, in order: pingpong at each connection count and size, churn, then idle
/// with increasing connection counts (which stop at a server's first failure).
/// </summary>
internal sealed record WorkloadPlan(
    IReadOnlyList<int> PingpongConnections,
    IReadOnlyList<int> PingpongSizes,
    int ChurnConnections,
    IReadOnlyList<int> IdleConnections)
{
    public const int ChurnSize = 64;
    public const int IdleSize = 64;

    /// <summary>Per step: starting the bench process, connecting, the sample check, writing JSON.</summary>
    private static readonly TimeSpan StepOverhead = TimeSpan.FromSeconds(1.5);

    /// <summary>Per server: start, readiness, drain and stop.</summary>
    private static readonly TimeSpan ServerOverhead = TimeSpan.FromSeconds(3);

    /// <summary>Idle connects are paced; a conservative rate for a slow server (the fork-per-client ones).</summary>
    private const double IdleConnectsPerSecond = 2_000;

    public static WorkloadPlan Default { get; } = new([1, 10, 100, 1000], [64, 16 * 1024], 50, [100, 1000, 10_000]);

    public IEnumerable<WorkloadStep> Steps()
    {
        foreach (int size in PingpongSizes)
        {
            foreach (int connections in PingpongConnections)
            {
                yield return new WorkloadStep(WorkloadStep.Pingpong, connections, size);
            }
        }

        yield return new WorkloadStep(WorkloadStep.Churn, ChurnConnections, ChurnSize);
        foreach (int connections in IdleConnections)
        {
            yield return new WorkloadStep(WorkloadStep.Idle, connections, IdleSize);
        }
    }

    /// <summary>How long one step should take: idle has no warm-up but must connect first.</summary>
    public static TimeSpan Estimate(WorkloadStep step, TimeSpan duration, TimeSpan warmup) =>
        step.Workload == WorkloadStep.Idle
            ? duration + StepOverhead + TimeSpan.FromSeconds(step.Connections / IdleConnectsPerSecond)
            : duration + warmup + StepOverhead;

    /// <summary>The whole run for <paramref name="servers"/> servers, every step included.</summary>
    public TimeSpan Estimate(int servers, TimeSpan duration, TimeSpan warmup) =>
        servers * (ServerOverhead + Steps().Aggregate(TimeSpan.Zero, (sum, step) => sum + Estimate(step, duration, warmup)));
}
