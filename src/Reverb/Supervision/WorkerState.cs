namespace Reverb.Supervision;

/// <summary>Where a worker is in its life, as the master sees it.</summary>
internal enum WorkerState
{
    Starting,
    Idle,

    /// <summary>Taken by the accept loop, waiting for the next client to arrive.</summary>
    Reserved,
    Busy,
    Retiring,
    Exited,
}
