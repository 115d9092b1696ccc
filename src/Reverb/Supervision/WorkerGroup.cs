using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Listening;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>
/// The workers model's supervisor: a fixed number of worker processes that accept directly on
/// listening sockets the master hands down and keeps open. The master stays off the accept and data
/// paths; it only keeps the group at full strength, replacing (and logging) any worker that dies.
/// What to start and when is <see cref="MasterPolicy"/>'s decision, asked in one place
/// (<see cref="Maintain"/>) at start, after every death and when a backoff ends: a worker that
/// keeps dying at start, or cannot be launched at all, is retried after a growing delay, with a
/// few log lines, not a flood.
/// </summary>
internal sealed partial class WorkerGroup : IStatusSource
{
    private readonly WorkerLauncher _launcher;
    private readonly WorkerSettings _settings;
    private readonly IReadOnlyList<Socket>[] _slotListeners;
    private readonly List<Socket> _siblings = [];
    private readonly int _size;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly TaskCompletionSource _allReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ready;
    private bool _stopping;
    private readonly SourceLimit? _perSource;
    private ConnectionTotals _departed;
    private long _crashes;
    private readonly MasterPolicy _policy = MasterPolicy.Workers;
    private readonly bool[] _filled;
    private StartFailures _failures;
    private long _wakeAtMs = MasterDecision.Never;
    private readonly TaskCompletionSource _stopRestarts = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _restarts = [];
    private readonly List<Task> _monitors = [];
    private int _unloggedFailures;

    private readonly CancellationToken _stopRequested;

    /// <param name="listeners">The master's listening sockets.</param>
    /// <param name="ownQueues">
    /// The listeners have SO_REUSEPORT: give each worker place sockets (and accept queues) of its own,
    /// so the kernel spreads connections evenly. The master keeps every socket open, so a dead
    /// worker's queue survives for its replacement. Otherwise all workers share the listeners.
    /// </param>
    /// <param name="perSource">--max-conns-per-source, counted here across every worker; null: no limit.</param>
    /// <param name="inheritedQueues">Sockets of own queues handed down by the master this one upgrades: used first, any left over closed.</param>
    public WorkerGroup(WorkerLauncher launcher, WorkerSettings settings, IReadOnlyList<Socket> listeners, bool ownQueues, int backlog, int size, SourceLimit? perSource, ILogger logger, CancellationToken stopRequested, IReadOnlyList<Socket>? inheritedQueues = null)
    {
        var inherited = new List<Socket>(inheritedQueues ?? []);
        _perSource = perSource;
        _slotListeners = new IReadOnlyList<Socket>[size];
        _filled = new bool[size];
        for (int slot = 0; slot < size; slot++)
        {
            if (slot == 0 || !ownQueues)
            {
                _slotListeners[slot] = listeners;
                continue;
            }

            Socket[] own = [.. listeners.Select(l => TakeInherited(inherited, l) ?? ServerListener.Sibling(l, backlog))];
            _siblings.AddRange(own);
            _slotListeners[slot] = own;
        }

        inherited.ForEach(s => s.Dispose());

        _stopRequested = stopRequested;
        _launcher = launcher;
        _settings = settings;
        _size = size;
        _logger = logger;
    }

    public IReadOnlyList<int> Pids()
    {
        lock (_gate)
        {
            return [.. _workers.Select(w => w.Pid)];
        }
    }

    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Maintain();

        try
        {
            await _allReady.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the worker processes did not become ready within {timeout.TotalSeconds:0} s");
        }
    }

    /// <param name="drain">How long clients may take; null: retire every worker (an upgrade's handover), no deadline.</param>
    public async Task StopAsync(TimeSpan? drain)
    {
        lock (_gate)
        {
            _stopping = true;
            if (_workers.Count == 0)
            {
                _allExited.TrySetResult();
            }
        }

        _stopRestarts.TrySetResult();
        Task[] restarts;
        lock (_gate)
        {
            restarts = [.. _restarts];
        }

        await Task.WhenAll(restarts).ConfigureAwait(false);
        await _reload.ConfigureAwait(false);
        if (drain is { } limit)
        {
            await ChildProcesses.ShutDownAsync(LiveWorkers, _allExited.Task, limit, _logger).ConfigureAwait(false);
        }
        else
        {
            foreach (WorkerHandle worker in LiveWorkers())
            {
                worker.Channel.Send(new ChannelMessage.Retire());
            }

            await _allExited.Task.ConfigureAwait(false);
        }

        // Each watch ends soon after its worker (bounded, in case one outlived even its SIGKILL).
        Task[] monitors;
        lock (_gate)
        {
            monitors = [.. _monitors];
        }

        await ChildProcesses.Completes(Task.WhenAll(monitors), TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private WorkerHandle[] LiveWorkers()
    {
        lock (_gate)
        {
            return [.. _workers];
        }
    }

    /// <summary>The sockets this group added for its workers' own queues (an upgrade hands them down).</summary>
    public IReadOnlyList<Socket> OwnListeners => _siblings;

    private static Socket? TakeInherited(List<Socket> inherited, Socket listener)
    {
        int index = inherited.FindIndex(s => Equals(s.LocalEndPoint, listener.LocalEndPoint));
        if (index < 0)
        {
            return null;
        }

        Socket socket = inherited[index];
        inherited.RemoveAt(index);
        return socket;
    }

    /// <summary>Closes the sockets this group added (after the workers have gone).</summary>
    public void CloseOwnListeners() => _siblings.ForEach(s => s.Dispose());

    /// <summary>
    /// The group's one decision point: asks the policy what to do given the counts and the run of
    /// failed starts, and does it: fills empty places with new workers, or comes back when the
    /// backoff ends. Called at start, after a worker dies, and when a backoff ends.
    /// </summary>
    private void Maintain()
    {
        while (true)
        {
            int slot;
            lock (_gate)
            {
                // A place holds one current worker; during a reload its retiring predecessor is not counted.
                int filled = _filled.Count(filled => filled);
                int ready = Math.Min(filled, _workers.Count(w => w.State == WorkerState.Ready && !_retiring.Contains(w)));
                var state = new MasterState(_size, ready, filled - ready, Stopping: _stopping || _stopRequested.IsCancellationRequested, Failures: _failures);
                MasterDecision decision = _policy.Decide(state, Environment.TickCount64);
                slot = Array.IndexOf(_filled, false);
                if (decision.Start == 0 || slot < 0)
                {
                    WakeAtLocked(decision.WakeAtMs);
                    return;
                }

                _filled[slot] = true;
            }

            StartWorker(slot);
        }
    }

    /// <summary>Starts a worker for <paramref name="slot"/>; null when it could not be launched (the policy then decides when to retry).</summary>
    private WorkerHandle? StartWorker(int slot)
    {
        long started = Stopwatch.GetTimestamp();
        if (_launcher.TryLaunch(_settings, _logger, slot, out string? failure) is not { } worker)
        {
            StartFailures failures;
            lock (_gate)
            {
                _filled[slot] = false;
                failures = _failures = MasterPolicy.Failed(_failures, Environment.TickCount64);
            }

            LogFailure($"cannot start a worker process: {failure}", failures);
            return null;
        }

        _readiness[worker] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        lock (_gate)
        {
            if (_stopping)
            {
                // Launched while the group was being stopped: it is not wanted.
                ChildProcesses.TryKill(worker.Process);
            }

            _workers.Add(worker);
        }

        IReadOnlyList<Socket> listeners = _slotListeners[slot];
        for (int i = 0; i < listeners.Count; i++)
        {
            worker.Channel.Send(new ChannelMessage.Listen(i, listeners.Count), listeners[i].SafeHandle);
        }

        Task monitor = MonitorAsync(worker, started);
        lock (_gate)
        {
            _monitors.RemoveAll(t => t.IsCompleted);
            _monitors.Add(monitor);
        }

        return worker;
    }

    /// <summary>Logs a death or a failed start when the policy says it is worth a line (the others are counted in the next).</summary>
    private void LogFailure(string what, StartFailures failures)
    {
        if (!_policy.WorthLogging(failures))
        {
            Interlocked.Increment(ref _unloggedFailures);
            return;
        }

        int unlogged = Interlocked.Exchange(ref _unloggedFailures, 0);
        string retry = failures.InARow == 0
            ? "starting a replacement"
            : $"{failures.InARow} failed starts in a row{(unlogged > 0 ? $" ({unlogged} not logged)" : string.Empty)}; retrying in {_policy.Backoff(failures).TotalSeconds:0.###} s";
        WorkerLog.Replaced(_logger, what, retry);
    }

    /// <summary>Makes sure <see cref="Maintain"/> runs again at <paramref name="atMs"/> (a backoff's end); one pending wake at a time.</summary>
    private void WakeAtLocked(long atMs)
    {
        if (atMs == MasterDecision.Never || (_wakeAtMs <= atMs && _wakeAtMs > Environment.TickCount64))
        {
            return;
        }

        _wakeAtMs = atMs;
        _restarts.RemoveAll(t => t.IsCompleted);
        _restarts.Add(WakeAsync(TimeSpan.FromMilliseconds(Math.Max(atMs - Environment.TickCount64, 0))));
    }

    private async Task WakeAsync(TimeSpan delay)
    {
        // The timer of an abandoned delay lapses by itself within the policy's longest backoff.
        if (await Task.WhenAny(Task.Delay(delay, CancellationToken.None), _stopRestarts.Task).ConfigureAwait(false) == _stopRestarts.Task)
        {
            return;
        }

        Maintain();
    }

    /// <summary>Watches one worker until it exits, then replaces it (unless stopping). Owned by <see cref="_monitors"/>, awaited on stop.</summary>
    private async Task MonitorAsync(WorkerHandle worker, long started)
    {
        try
        {
            await ListenAsync(worker).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Never leave a worker unwatched: one whose messages cannot be read is killed, and replaced like any other.
            WorkerLog.WatchFailed(_logger, worker.Pid, ex.Message);
            ChildProcesses.TryKill(worker.Process);
            await ChildProcesses.Completes(worker.Process.WaitForExitAsync(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        // The clients a dead worker held are gone with it.
        foreach (System.Net.IPAddress source in worker.Admitted.ToArray())
        {
            Release(worker, source);
        }

        bool stopping;
        bool retired;
        StartFailures failures;
        _readiness.TryRemove(worker, out _);
        lock (_gate)
        {
            // A retired worker's place is held by its replacement (or, for a replacement a reload gave up
            // on, by the worker it was to replace): neither a death nor a free place.
            retired = _retiring.Remove(worker);
            _workers.Remove(worker);
            _filled[worker.Slot] &= retired;
            _departed += worker.LastTotals with { Active = 0 };
            stopping = _stopping || _stopRequested.IsCancellationRequested;
            if (stopping && _workers.Count == 0)
            {
                _allExited.TrySetResult();
            }

            failures = _failures = stopping || retired ? _failures : _policy.Exited(_failures, worker.State == WorkerState.Ready, Stopwatch.GetElapsedTime(started), Environment.TickCount64);
        }

        if (retired && !stopping)
        {
            ReloadLog.Retired(_logger, "worker", worker.Pid, ExitDescription.Of(worker.Process));
        }
        else if (!stopping)
        {
            Interlocked.Increment(ref _crashes);
            string how = worker.KilledBecause is { } why ? $"killed by the master: {why}" : ExitDescription.Of(worker.Process);
            LogFailure($"worker {worker.Pid} died ({how}); its clients are disconnected, queued and other workers' clients are unaffected", failures);
        }

        worker.Dispose();
        Maintain();
    }

    private Task ListenAsync(WorkerHandle worker) =>
        worker.ListenUntilExitAsync(message =>
        {
            switch (message)
            {
                case ChannelMessage.Ready:
                    lock (_gate)
                    {
                        worker.State = WorkerState.Ready;
                    }

                    if (_readiness.TryGetValue(worker, out TaskCompletionSource? ready))
                    {
                        ready.TrySetResult();
                    }

                    if (Interlocked.Increment(ref _ready) >= _size)
                    {
                        _allReady.TrySetResult();
                    }

                    break;
                case ChannelMessage.Admit admit:
                    Admit(worker, admit);
                    break;
                case ChannelMessage.Release release:
                    Release(worker, release.Source);
                    break;
            }
        });

    /// <summary>Asks every worker for its clients and totals; the totals keep what departed workers last reported.</summary>
    public Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken) => CaptureAsync(totalsOnly: false, cancellationToken);

    /// <summary>As <see cref="CaptureAsync(CancellationToken)"/>, but each worker sends one message, its totals, however many clients it has.</summary>
    public Task<ModelStatus> CaptureTotalsAsync(CancellationToken cancellationToken) => CaptureAsync(totalsOnly: true, cancellationToken);

    private async Task<ModelStatus> CaptureAsync(bool totalsOnly, CancellationToken cancellationToken)
    {
        WorkerHandle[] workers = LiveWorkers();
        WorkerReport?[] reports = await Task.WhenAll(workers.Select(w => w.QueryAsync(TimeSpan.FromSeconds(1), cancellationToken, totalsOnly))).ConfigureAwait(false);
        ConnectionTotals totals;
        lock (_gate)
        {
            totals = _departed;
        }

        var processes = new List<ProcessStatus>(workers.Length);
        for (int i = 0; i < workers.Length; i++)
        {
            WorkerReport? report = reports[i];
            totals += report?.Totals ?? workers[i].LastTotals;
            string state = report is null ? "not answering" : IsRetiring(workers[i]) ? "retiring" : "serving";
            processes.Add(new ProcessStatus(workers[i].Pid, Environment.ProcessId, "worker", state, report?.Clients ?? []));
        }

        return new ModelStatus([], processes, totals, Interlocked.Read(ref _crashes));
    }

    private void Admit(WorkerHandle worker, ChannelMessage.Admit admit)
    {
        System.Net.IPAddress source = admit.Source;
        bool admitted = _perSource?.TryAdmit(source) ?? true;
        if (admitted && _perSource is not null)
        {
            lock (worker.Admitted)
            {
                worker.Admitted.Add(source);
            }
        }

        worker.Channel.Send(new ChannelMessage.Admitted(admit.RequestId, admitted));
    }

    private void Release(WorkerHandle worker, System.Net.IPAddress source)
    {
        lock (worker.Admitted)
        {
            if (!worker.Admitted.Remove(source))
            {
                return;
            }
        }

        _perSource?.Release(source);
    }
}
