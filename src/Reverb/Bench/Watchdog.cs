using System.Diagnostics;

namespace Reverb.Bench;

/// <summary>Periodically times out connections that have waited too long (see <see cref="ConnectionWatch"/>).</summary>
internal static class Watchdog
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    public static async Task RunAsync(IReadOnlyList<WorkerContext> workers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        long timeoutTicks = BenchClock.ToTicks(timeout);
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                foreach (var worker in workers)
                {
                    worker.Watch.CheckTimeout(now, timeoutTicks);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }
}
