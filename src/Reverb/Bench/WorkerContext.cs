namespace Reverb.Bench;

/// <summary>What one worker (one connection slot) of a run needs: its identity, shared settings and its own stats.</summary>
internal sealed class WorkerContext
{
    public WorkerContext(int index, BenchSettings settings, BenchClock clock, Connector connector)
    {
        Index = index;
        Settings = settings;
        Clock = clock;
        Connector = connector;
    }

    public int Index { get; }

    public BenchSettings Settings { get; }

    public BenchClock Clock { get; }

    public Connector Connector { get; }

    public WorkerStats Stats { get; } = new();

    public ConnectionWatch Watch { get; } = new();

    /// <summary>Counts a failed connection, unless the run is already over (then failures are just teardown).</summary>
    public void RecordFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        bool timedOut = Watch.ConsumeTimedOut();
        if (Clock.IsStopping)
        {
            return;
        }

        Stats.RecordFailure(timedOut ? FailureKind.Timeout : FailureClassifier.Classify(exception));
    }

    /// <summary>A short pause after a failure so a dead server is not hammered in a tight loop.</summary>
    public Task BackOffAsync() => Clock.IsStopping ? Task.CompletedTask : Task.Delay(20);
}
