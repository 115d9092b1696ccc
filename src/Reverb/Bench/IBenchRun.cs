namespace Reverb.Bench;

/// <summary>A benchmark in progress: it can be sampled for the live display while it runs.</summary>
internal interface IBenchRun
{
    Task<BenchResult> RunAsync(CancellationToken cancellationToken);

    ProgressSnapshot Sample();
}
