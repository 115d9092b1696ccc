namespace Reverb.Supervision;

/// <summary>
/// How long to wait before starting a process again after one failed: at once after a process
/// that had been up a while (one crash costs no delay), then, while starts keep failing (died soon
/// after start, or could not be launched), a delay that doubles from <see cref="Initial"/> up to
/// <see cref="Max"/>. A process that stays up for <see cref="StableAfter"/> resets it. Also says
/// which failures are worth a log line, so a restart loop logs a few lines, then one per
/// <see cref="Max"/>. Pure (no clock, no I/O; the caller passes uptimes), not thread-safe: callers lock.
/// </summary>
internal sealed class RestartBackoff
{
    private int _failures;

    public RestartBackoff(TimeSpan initial, TimeSpan max, TimeSpan stableAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        Initial = initial;
        Max = max;
        StableAfter = stableAfter;
    }

    /// <summary>100 ms doubling to 10 s; reset by 10 s of uptime.</summary>
    public static RestartBackoff CreateDefault() => new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    public TimeSpan StableAfter { get; }

    /// <summary>Failed starts in a row (0 after a process that had been up for <see cref="StableAfter"/>).</summary>
    public int ConsecutiveFailures => _failures;

    /// <summary>Records one failure and returns the delay before the next start.</summary>
    /// <param name="uptime">How long the process was up; <see cref="TimeSpan.Zero"/> when it could not be launched at all.</param>
    public Decision Failed(TimeSpan uptime)
    {
        if (uptime >= StableAfter)
        {
            _failures = 0;
            return new Decision(TimeSpan.Zero, Log: true, ConsecutiveFailures: 0);
        }

        _failures = _failures == int.MaxValue ? _failures : _failures + 1;
        TimeSpan delay = DelayAfter(_failures);

        // The first few in a row, then once a doubling: 1, 2, 4, 8, ... and every one at Max, which is at most one line per Max.
        bool log = _failures <= 2 || (_failures & (_failures - 1)) == 0 || delay >= Max;
        return new Decision(delay, log, _failures);
    }

    /// <summary>A start succeeded and the process has been up for <paramref name="uptime"/>: reset once that is long enough.</summary>
    public void Running(TimeSpan uptime)
    {
        if (uptime >= StableAfter)
        {
            _failures = 0;
        }
    }

    private TimeSpan DelayAfter(int failures)
    {
        // Initial * 2^(failures-1), computed without overflow.
        double factor = Math.Pow(2, Math.Min(failures - 1, 62));
        double ticks = Initial.Ticks * factor;
        return ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)ticks);
    }

    /// <param name="Delay">Wait this long before the next start.</param>
    /// <param name="Log">Whether this failure deserves a log line (the others are counted in the next line that is written).</param>
    /// <param name="ConsecutiveFailures">Failed starts in a row, this one included.</param>
    public readonly record struct Decision(TimeSpan Delay, bool Log, int ConsecutiveFailures);
}
