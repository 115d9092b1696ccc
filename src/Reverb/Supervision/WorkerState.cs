namespace Reverb.Supervision;

/// <summary>Where a worker is in its life, as the master sees it.</summary>
internal enum WorkerState
{
    /// <summary>Launched; it has not said it is ready.</summary>
    Starting,

    /// <summary>Holding its listeners and accepting.</summary>
    Ready,

    /// <summary>Told to go (surplus or outdated).</summary>
    Retiring,
}
