namespace Reverb.Compare;

/// <summary>
/// Samples a server's process tree in the background while a step runs, so idle connections are counted while
/// they are held and workers while they exist, not only before and after.
/// </summary>
internal sealed class ServerLoadMeter : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    private readonly int _rootPid;
    private readonly TreeCpuAccount _cpu;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private ProcessTreeSample _peakRss;
    private long _peakPss;
    private int _peakProcesses;
    private int _peakThreads;

    private ServerLoadMeter(int rootPid)
    {
        _rootPid = rootPid;
        ProcessTreeSample first = ProcessTreeSampler.Sample(rootPid, withPss: true);
        _cpu = new TreeCpuAccount(first);
        _peakRss = first;
        Record(first);
        _sampling = Task.Run(SampleUntilStoppedAsync);
    }

    public static ServerLoadMeter Start(int rootPid) => new(rootPid);

    /// <summary>Stops sampling and sums up the step.</summary>
    public async Task<ServerFigures> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        ProcessTreeSample last = ProcessTreeSampler.Sample(_rootPid, withPss: true);
        Record(last);
        return new ServerFigures(
            _cpu.Seconds,
            _peakRss.RssBytes,
            _peakPss,
            _peakProcesses,
            _peakThreads);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SampleUntilStoppedAsync()
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Record(ProcessTreeSampler.Sample(_rootPid, withPss: true));
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    // Called by the sampling task, and by StopAsync only after that task has finished.
    private void Record(ProcessTreeSample sample)
    {
        _cpu.Observe(sample);
        if (sample.RssBytes > _peakRss.RssBytes)
        {
            _peakRss = sample;
        }

        _peakPss = Math.Max(_peakPss, sample.PssBytes);
        _peakProcesses = Math.Max(_peakProcesses, sample.ProcessCount);
        _peakThreads = Math.Max(_peakThreads, sample.ThreadCount);
    }
}
