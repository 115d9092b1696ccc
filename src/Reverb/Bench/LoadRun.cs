using System.Diagnostics;

namespace Reverb.Bench;

/// <summary>
/// Runs the workloads that keep C workers busy for warm-up plus duration (pingpong, stream, churn):
/// starts one asynchronous worker per connection, stops them at the end of the window, drains, and merges
/// the per-worker counters and histograms.
/// </summary>
internal sealed class LoadRun : IBenchRun
{
    /// <summary>How long in-flight echoes may take to drain after the window closes before sockets are aborted.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    private readonly BenchSettings _settings;
    private readonly BenchClock _clock;
    private readonly WorkerContext[] _workers;
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    public LoadRun(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _clock = new BenchClock(settings.Warmup, settings.Duration);
        var connector = new Connector(settings, SourceAddressPlan.For(settings));
        _workers = new WorkerContext[settings.Connections];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new WorkerContext(i, settings, _clock, connector);
        }
    }

    public ProgressSnapshot Sample()
    {
        long now = Stopwatch.GetTimestamp();
        string phase = _clock.IsStopping ? "draining" : now < _clock.MeasureStart ? "warming up" : "measuring";
        double elapsed = (now - _startedAt) / (double)Stopwatch.Frequency;
        return new ProgressSnapshot(phase, elapsed, BenchTotals.Sum(_workers.Select(w => w.Stats)), null);
    }

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        Task workers = Task.WhenAll(_workers.Select(StartWorker));
        using var watchdogStop = new CancellationTokenSource();
        Task watchdog = Watchdog.RunAsync(_workers, _settings.Timeout, watchdogStop.Token);

        // Managed allocations of the whole process inside the window: the proof that the generator allocates
        // nothing per message (it should be a few kilobytes for timers and the progress line, whatever the rate).
        await Task.WhenAny(workers, Task.Delay(_settings.Warmup, cancellationToken)).ConfigureAwait(false);
        long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        await Task.WhenAny(workers, Task.Delay(_clock.MeasureEnd - Stopwatch.GetTimestamp() is > 0 and var remaining
            ? TimeSpan.FromSeconds(remaining / (double)Stopwatch.Frequency)
            : TimeSpan.Zero, cancellationToken)).ConfigureAwait(false);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        _clock.Stop();

        if (!await CompletesWithinAsync(workers, DrainGrace).ConfigureAwait(false))
        {
            foreach (var worker in _workers)
            {
                worker.Watch.Abort();
            }

            await CompletesWithinAsync(workers, DrainGrace).ConfigureAwait(false);
        }

        await watchdogStop.CancelAsync().ConfigureAwait(false);
        await watchdog.ConfigureAwait(false);
        if (workers.IsFaulted)
        {
            await workers.ConfigureAwait(false); // a bug, not a network failure: let it surface
        }

        var latency = WorkerStats.NewLatencyHistogram();
        foreach (var worker in _workers)
        {
            latency.Add(worker.Stats.Latency);
        }

        bool hasLatency = _settings.Workload is BenchWorkload.Pingpong or BenchWorkload.Churn;
        return new BenchResult(
            _settings,
            _clock.MeasuredSeconds(),
            BenchTotals.Sum(_workers.Select(w => w.Stats)),
            hasLatency ? LatencySummary.From(latency) : null,
            null)
        {
            AllocatedBytes = allocated,
        };
    }

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan limit)
    {
        await Task.WhenAny(task, Task.Delay(limit)).ConfigureAwait(false);
        return task.IsCompleted;
    }

    private Task StartWorker(WorkerContext context) => _settings.Workload switch
    {
        BenchWorkload.Pingpong => new PingpongWorker(context).RunAsync(),
        BenchWorkload.Stream => new StreamWorker(context).RunAsync(),
        BenchWorkload.Churn => new ChurnWorker(context).RunAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(context), _settings.Workload, "not a load workload"),
    };
}
