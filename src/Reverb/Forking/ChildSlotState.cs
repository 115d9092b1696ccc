namespace Reverb.Forking;

/// <summary>Where a slot of the child table is in its life. Changed only with atomic operations.</summary>
internal enum ChildSlotState
{
    /// <summary>Unused: the forking process may take it (compare-and-swap from Free to Reserved).</summary>
    Free = 0,

    /// <summary>Taken by the forking process for a client it has just accepted; the child is being forked.</summary>
    Reserved = 1,

    /// <summary>The child runs and echoes; it keeps the byte counters current.</summary>
    Serving = 2,

    /// <summary>The child has finished its client (End is set) and is about to exit.</summary>
    Finished = 3,

    /// <summary>The child has been reaped (WaitStatus is set); the master reads the slot, then frees it.</summary>
    Reaped = 4,
}
