using System.Runtime.InteropServices;
using Reverb.Net;

namespace Reverb.Forking;

/// <summary>
/// One client of the fork-per-client model, in memory shared by the master, the forking process and
/// the child serving it. The child writes only its own slot, so every counter has a single writer;
/// readers in other processes use volatile reads and tolerate a value that is a moment old.
/// </summary>
/// <remarks>Layout is fixed (128 bytes) because three processes map it: change it only with all of them.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct ChildSlot
{
    /// <summary>A <see cref="ChildSlotState"/>, as int for Interlocked.</summary>
    [FieldOffset(0)] public int State;

    /// <summary>The child's process id (set by the forking process right after fork).</summary>
    [FieldOffset(4)] public int Pid;

    /// <summary>The master's connection id for this client.</summary>
    [FieldOffset(8)] public long ConnectionId;

    /// <summary>When the client was accepted: Unix time in milliseconds.</summary>
    [FieldOffset(16)] public long AcceptedUnixMs;

    /// <summary>When the client was accepted: CLOCK_MONOTONIC in Stopwatch ticks (comparable across processes).</summary>
    [FieldOffset(24)] public long AcceptedTimestamp;

    /// <summary>Bytes received from the client so far (written by the child only).</summary>
    [FieldOffset(32)] public long BytesIn;

    /// <summary>Bytes echoed back so far (written by the child only).</summary>
    [FieldOffset(40)] public long BytesOut;

    /// <summary>How the echo ended: an <see cref="Echo.EchoEnd"/>, 0 while it runs.</summary>
    [FieldOffset(48)] public int End;

    /// <summary>Why a PROXY header was rejected: a ProxyHeaderError, 0 for none.</summary>
    [FieldOffset(52)] public int ProxyError;

    /// <summary>waitpid's status once reaped.</summary>
    [FieldOffset(56)] public int WaitStatus;

    /// <summary>Which forking process (1, 2, ...) forked this child: the master reaps the orphans of a dead one.</summary>
    [FieldOffset(60)] public int Generation;

    /// <summary>The TCP peer (the proxy itself, behind a proxy).</summary>
    [FieldOffset(64)] public SlotAddress Peer;

    /// <summary>The real client named by a PROXY header; Family None until one is read.</summary>
    [FieldOffset(88)] public SlotAddress Client;
}
