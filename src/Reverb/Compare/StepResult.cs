using Reverb.Bench;
namespace Reverb.Compare;

/// <summary>One step against one server: the bench's figures, the server side, and what went wrong if anything.</summary>
internal sealed record StepResult
{
    public required string Workload { get; init; }

    public required int Connections { get; init; }

    public required int Size { get; init; }

    public required StepStatus Status { get; init; }

    public string? Note { get; init; }

    public BenchJsonReport? Bench { get; init; }

    public ServerFigures? Server { get; init; }

    public double ElapsedSeconds { get; init; }

    public bool Matches(string workload, int connections, int size) =>
        Workload == workload && Connections == connections && Size == size;
}
