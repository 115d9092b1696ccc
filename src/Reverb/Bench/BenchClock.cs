using System.Diagnostics;

namespace Reverb.Bench;

/// <summary>
/// The run's timeline in <see cref="Stopwatch"/> ticks: warm-up, then the measurement window, then stop.
/// Workers only count work that completes inside the window, so warm-up and draining never skew the figures.
/// </summary>
internal sealed class BenchClock
{
    private readonly long _warmupTicks;
    private readonly long _durationTicks;
    private long _measureStart;
    private long _measureEnd = long.MaxValue;
    private long _stoppedAt;
    private int _stopping;

    public BenchClock(TimeSpan warmup, TimeSpan duration)
    {
        _warmupTicks = ToTicks(warmup);
        _durationTicks = ToTicks(duration);
    }

    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    public long MeasureStart => Volatile.Read(ref _measureStart);

    public long MeasureEnd => Volatile.Read(ref _measureEnd);

    public static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static double ToMicroseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    public void Start()
    {
        long now = Stopwatch.GetTimestamp();
        Volatile.Write(ref _measureStart, now + _warmupTicks);
        Volatile.Write(ref _measureEnd, now + _warmupTicks + _durationTicks);
    }

    /// <summary>True when an event at <paramref name="timestamp"/> belongs to the measurement window.</summary>
    public bool IsMeasuring(long timestamp) => timestamp >= MeasureStart && timestamp <= MeasureEnd && !IsStopping;

    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            Volatile.Write(ref _stoppedAt, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Seconds actually measured: the full window, or less if the run was interrupted.</summary>
    public double MeasuredSeconds()
    {
        long end = IsStopping ? Math.Min(Volatile.Read(ref _stoppedAt), MeasureEnd) : Math.Min(Stopwatch.GetTimestamp(), MeasureEnd);
        return Math.Max(0, end - MeasureStart) / (double)Stopwatch.Frequency;
    }
}
