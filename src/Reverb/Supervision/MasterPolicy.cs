namespace Reverb.Supervision;

/// <summary>
/// The master's rule, in one pure function (after nginx's ngx_master_process_cycle and Apache
/// prefork's perform_idle_server_maintenance): given counts of processes, the run of failed starts
/// and the time, what to start, what to retire, and until when to wait. Both models ask it:
/// <see cref="WorkerGroup"/> (--workers processes) and <see cref="ForkSupervisor"/> (one forking process).
/// </summary>
/// <remarks>
/// A process that dies after it has served (been ready and up for <see cref="StableAfter"/>) is
/// replaced at once. One that dies before, or cannot be launched, extends the run of failed starts,
/// and the next start waits <see cref="InitialBackoff"/>, doubling with each failure up to
/// <see cref="MaxBackoff"/>: a crash loop costs a few starts a second, then one per 10 s, and a few
/// log lines (<see cref="WorthLogging"/>), not a flood. No clock, no I/O, no locks: callers pass the
/// time and keep the state.
/// </remarks>
internal sealed record MasterPolicy(TimeSpan InitialBackoff, TimeSpan MaxBackoff, TimeSpan StableAfter)
{
    /// <summary>The workers model: a worker has served once it has been ready for 10 s (one that fails on its first clients backs off).</summary>
    public static MasterPolicy Workers { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

    /// <summary>The process model: a forking process that became ready has served; its successor starts at once.</summary>
    public static MasterPolicy ForkingProcess { get; } = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.Zero);

    public MasterDecision Decide(MasterState state, long nowMs)
    {
        if (state.Stopping)
        {
            return new MasterDecision(0, 0, MasterDecision.Never);
        }

        // The old generation goes once the new one serves in full (a reload never leaves the port unserved).
        int retire = state.Ready >= state.Wanted ? state.Outdated : 0;
        int missing = state.Wanted - state.Ready - state.Starting;
        if (missing <= 0)
        {
            return new MasterDecision(0, retire, MasterDecision.Never);
        }

        long startAt = NextStartAtMs(state.Failures);
        return nowMs >= startAt
            ? new MasterDecision(missing, retire, MasterDecision.Never)
            : new MasterDecision(0, retire, startAt);
    }

    /// <summary>A process has exited on its own (not retired, not at shutdown): the run of failed starts it ends or extends.</summary>
    /// <param name="wasReady">It had said it was ready.</param>
    /// <param name="uptime">How long it was up.</param>
    public StartFailures Exited(StartFailures failures, bool wasReady, TimeSpan uptime, long nowMs) =>
        wasReady && uptime >= StableAfter ? default : Failed(failures, nowMs);

    /// <summary>A process could not be launched at all.</summary>
    public static StartFailures Failed(StartFailures failures, long nowMs) =>
        new(failures.InARow == int.MaxValue ? int.MaxValue : failures.InARow + 1, nowMs);

    /// <summary>How long after the last failure the next start waits: none after a process that served, then <see cref="InitialBackoff"/> doubling up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff(StartFailures failures)
    {
        if (failures.InARow == 0)
        {
            return TimeSpan.Zero;
        }

        // Initial * 2^(failures-1), computed without overflow.
        double ticks = InitialBackoff.Ticks * Math.Pow(2, Math.Min(failures.InARow - 1, 62));
        return ticks >= MaxBackoff.Ticks ? MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Whether the failure that made this run deserves a log line: a replacement after one that served, the first two in a row, then one per doubling, and every one at <see cref="MaxBackoff"/> (at most one line per MaxBackoff).</summary>
    public bool WorthLogging(StartFailures failures)
    {
        int n = failures.InARow;
        return n <= 2 || (n & (n - 1)) == 0 || Backoff(failures) >= MaxBackoff;
    }

    private long NextStartAtMs(StartFailures failures) =>
        failures.InARow == 0 ? long.MinValue : failures.LastAtMs + (long)Backoff(failures).TotalMilliseconds;
}
