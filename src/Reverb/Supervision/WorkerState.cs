namespace Reverb.Supervision;

/// <summary>Where a worker is in its life, as the master sees it.</summary>
internal enum WorkerState
{
    Starting,
    Idle,
    Busy,
    Retiring,
    Exited,
}
