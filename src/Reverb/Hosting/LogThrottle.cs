using System.Diagnostics;

namespace Reverb.Hosting;

/// <summary>Lets a recurring warning through at most once per interval, so a steady condition is said, not repeated.</summary>
internal sealed class LogThrottle
{
    private readonly TimeSpan _interval;
    private long _last = long.MinValue;
    private long _held;

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

    /// <summary>As <see cref="Allow()"/>, counting the lines held back: <paramref name="held"/> is how many since the last one let through.</summary>
    public bool Allow(out long held)
    {
        if (!Allow())
        {
            Interlocked.Increment(ref _held);
            held = 0;
            return false;
        }

        held = Interlocked.Exchange(ref _held, 0);
        return true;
    }

    /// <summary>"; N more since the last such line", or nothing when none were held back.</summary>
    public static string More(long held) => held > 0 ? $"; {held} more since the last such line" : string.Empty;
}
