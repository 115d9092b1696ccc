using System.Diagnostics;

namespace Reverb.Hosting;

/// <summary>Lets a recurring warning through at most once per interval, so a steady condition is said, not repeated.</summary>
internal sealed class LogThrottle
{
    private readonly TimeSpan _interval;
    private long _last = long.MinValue;

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
}
