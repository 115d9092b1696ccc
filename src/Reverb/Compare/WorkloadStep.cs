namespace Reverb.Compare;

/// <summary>One bench run in the plan: a workload, a connection count and a message size.</summary>
internal sealed record WorkloadStep(string Workload, int Connections, int Size)
{
    public const string Pingpong = "pingpong";
    public const string Churn = "churn";
    public const string Idle = "idle";

    public override string ToString() => Workload == Idle
        ? $"{Workload} {Connections:N0} conns"
        : $"{Workload} {Connections:N0} × {Size:N0} B";
}
