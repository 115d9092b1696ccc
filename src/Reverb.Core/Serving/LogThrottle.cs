using System.Diagnostics;

namespace Reverb.Serving;

/// <summary>Lets a recurring warning through at most once per interval, so a steady condition is said, not repeated.</summary>
internal sealed class LogThrottle
{
    private readonly TimeSpan _interval;
    private long _last = long.MinValue;
    private long _heldBack;

    public LogThrottle(TimeSpan interval) => _interval = interval;

    /// <summary>True when the line may be written now (and starts a new interval).</summary>
    public bool Allow()
    {
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _last);
        if (last != long.MinValue && Stopwatch.GetElapsedTime(last, now) < _interval)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _last, now, last) == last;
    }

    /// <summary>
    /// As <see cref="Allow()"/>, for events that are each worth a line: counts those held back, and
    /// hands the count to the next line let through (see <see cref="HeldBackNote"/>).
    /// </summary>
    public bool Allow(out long heldBack)
    {
        if (!Allow())
        {
            Interlocked.Increment(ref _heldBack);
            heldBack = 0;
            return false;
        }

        heldBack = Interlocked.Exchange(ref _heldBack, 0);
        return true;
    }

    /// <summary>"; N more {what} since the last such line", or nothing when none were held back.</summary>
    public static string HeldBackNote(long heldBack, string what) =>
        heldBack > 0 ? $"; {heldBack} more {what} since the last such line" : string.Empty;

    /// <summary>"; N more since the last such line", or nothing when none were held back.</summary>
    public static string More(long held) => HeldBackNote(held, "rejected").Replace(" rejected", string.Empty, StringComparison.Ordinal);
}
