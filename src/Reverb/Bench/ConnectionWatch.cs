using System.Diagnostics;
using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// Lets the watchdog time out one worker's socket without any per-message timer or allocation:
/// the worker stamps when it starts waiting, the watchdog disposes the socket if the wait grows too long,
/// and the worker, seeing its operation fail, asks whether that was a timeout.
/// </summary>
internal sealed class ConnectionWatch
{
    private Socket? _socket;
    private long _waitingSince;
    private int _timedOut;

    public void Attach(Socket socket)
    {
        Interlocked.Exchange(ref _timedOut, 0);
        Volatile.Write(ref _socket, socket);
    }

    public void Detach()
    {
        Volatile.Write(ref _waitingSince, 0);
        Volatile.Write(ref _socket, null);
    }

    public void BeginWait() => Volatile.Write(ref _waitingSince, Stopwatch.GetTimestamp());

    public void EndWait() => Volatile.Write(ref _waitingSince, 0);

    /// <summary>Called by the watchdog: aborts the socket if the current wait has lasted longer than the timeout.</summary>
    public void CheckTimeout(long now, long timeoutTicks)
    {
        long since = Volatile.Read(ref _waitingSince);
        if (since != 0 && now - since > timeoutTicks && Interlocked.Exchange(ref _timedOut, 1) == 0)
        {
            Volatile.Read(ref _socket)?.Dispose();
        }
    }

    /// <summary>True once if the last failure was caused by the watchdog.</summary>
    public bool ConsumeTimedOut() => Interlocked.Exchange(ref _timedOut, 0) == 1;

    /// <summary>Ends whatever the worker is waiting for; used when the run is over.</summary>
    public void Abort() => Volatile.Read(ref _socket)?.Dispose();
}
