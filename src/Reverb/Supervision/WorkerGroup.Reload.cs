using System.Collections.Concurrent;
using Reverb.Protocol;

namespace Reverb.Supervision;

/// <summary>
/// The workers model's graceful reload (SIGHUP): the workers are replaced one at a time. A new worker
/// starts in the old one's place, on the same listening sockets (and accept queue); once it is ready
/// the old one is retired: it stops accepting, its clients finish in their own time, then it exits.
/// At every moment each place has a worker accepting, so no client is refused or dropped.
/// </summary>
internal sealed partial class WorkerGroup
{
    /// <summary>How long a new worker may take to become ready before the reload is given up.</summary>
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<WorkerHandle, TaskCompletionSource> _readiness = new();
    private readonly HashSet<WorkerHandle> _retiring = [];
    private Task _reload = Task.CompletedTask;

    /// <summary>Starts a reload in the background; false (and a log line) when one is already under way.</summary>
    public bool RequestReload()
    {
        lock (_gate)
        {
            if (!_reload.IsCompleted)
            {
                ReloadLog.Busy(_logger);
                return false;
            }

            if (_stopping || _stopRequested.IsCancellationRequested)
            {
                ReloadLog.NotNow(_logger, "the server is stopping");
                return false;
            }

            _reload = Task.Run(ReloadAsync);
            return true;
        }
    }

    private bool IsRetiring(WorkerHandle worker)
    {
        lock (_gate)
        {
            return _retiring.Contains(worker);
        }
    }

    private async Task ReloadAsync()
    {
        WorkerHandle[] old;
        lock (_gate)
        {
            old = [.. _workers.Where(w => !_retiring.Contains(w))];
        }

        ReloadLog.Starting(_logger, $"{old.Length} new worker(s), one at a time,", $"worker(s) {string.Join(", ", old.Select(w => w.Pid))}");
        var replaced = new List<string>();
        foreach (WorkerHandle worker in old)
        {
            if (_stopRequested.IsCancellationRequested || worker.Process.HasExited)
            {
                continue;
            }

            WorkerHandle? fresh = StartWorker(worker.Slot);
            string? failure = fresh is null ? "a new worker could not be started" : await WaitReadyAsync(fresh).ConfigureAwait(false);
            if (failure is not null)
            {
                ReloadLog.Failed(_logger, failure, "worker", worker.Pid);
                break;
            }

            // Its clients, as it last counted them (asked here: a worker's totals are not kept current).
            WorkerReport? report = await worker.QueryAsync(TimeSpan.FromSeconds(1), CancellationToken.None, totalsOnly: true).ConfigureAwait(false);
            lock (_gate)
            {
                _retiring.Add(worker);
            }

            worker.Channel.Send(new ChannelMessage.Retire());
            ReloadLog.Replaced(_logger, "worker", worker.Pid, fresh!.Pid, (int)(report?.Totals.Active ?? 0));
            replaced.Add($"worker {worker.Pid} → {fresh.Pid}");
        }

        ReloadLog.Done(_logger, replaced.Count == 0 ? "no worker replaced" : string.Join(", ", replaced));
    }

    /// <summary>Null once <paramref name="fresh"/> is ready; otherwise why not (it is then stopped, and not replaced).</summary>
    private async Task<string?> WaitReadyAsync(WorkerHandle fresh)
    {
        Task ready = _readiness.TryGetValue(fresh, out TaskCompletionSource? readiness) ? readiness.Task : Task.CompletedTask;
        Task exited = fresh.Process.WaitForExitAsync();
        Task first = await Task.WhenAny(ready, exited, Task.Delay(ReloadTimeout, _stopRequested)).ConfigureAwait(false);
        if (first == ready && !fresh.Process.HasExited)
        {
            return null;
        }

        lock (_gate)
        {
            // Not a crash to replace: the reload gives up on it.
            _retiring.Add(fresh);
        }

        ChildProcesses.TryKill(fresh.Process);
        return first == exited ? $"the new worker {fresh.Pid} exited before it was ready"
            : _stopRequested.IsCancellationRequested ? "the server is stopping"
            : $"the new worker {fresh.Pid} was not ready within {ReloadTimeout.TotalSeconds:0} s";
    }
}
