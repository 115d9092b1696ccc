namespace Reverb.Supervision;

/// <summary>The spare-worker pool's limits, after Apache's prefork MPM.</summary>
/// <param name="MinSpare">Idle workers kept ready so that a new client never waits for a process to start.</param>
/// <param name="MaxSpare">Idle workers beyond this are retired.</param>
/// <param name="MaxWorkers">Cap on all workers, hence on concurrent clients.</param>
/// <param name="RecycleAfter">Retire a worker after serving this many clients; 0 never does.</param>
internal sealed record PoolOptions(int MinSpare, int MaxSpare, int MaxWorkers, int RecycleAfter);
