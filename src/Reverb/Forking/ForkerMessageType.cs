namespace Reverb.Forking;

/// <summary>What a message between the master and the forking process says.</summary>
internal enum ForkerMessageType
{
    /// <summary>Forking process → master: mapped the table, warmed up, accepting. Value: its pid.</summary>
    Ready = 1,

    /// <summary>Forking process → master: a client was accepted into Slot and is served by child Pid.</summary>
    Accepted = 2,

    /// <summary>Forking process → master: the child of Slot was reaped; the slot is the master's to read and free.</summary>
    Reaped = 3,

    /// <summary>Forking process → master: a client from Address was closed at once (--max-conns-per-source); Value: the limit.</summary>
    RefusedPerSource = 4,

    /// <summary>Forking process → master: fork() failed with errno Value; the client was closed.</summary>
    ForkFailed = 5,

    /// <summary>Forking process → master: accept() failed with errno Value (out of descriptors); accepting pauses.</summary>
    AcceptFailed = 6,

    /// <summary>Master → forking process: stop accepting, let every child finish within Value milliseconds, then exit.</summary>
    Shutdown = 7,

    /// <summary>
    /// Master → forking process: a client from Address has gone that this forking process did not
    /// reap (an orphan of its predecessor, reaped by the master): --max-conns-per-source forgets it.
    /// </summary>
    ReleaseSource = 8,

    /// <summary>Forking process → master: a client from Address was closed at once: not a --trusted-proxy.</summary>
    RefusedUntrusted = 9,

    /// <summary>
    /// Master → forking process (a reload or an upgrade): stop accepting, let every child finish its
    /// client in its own time (no signal, no deadline), then exit. A successor accepts meanwhile.
    /// </summary>
    Retire = 10,
}
