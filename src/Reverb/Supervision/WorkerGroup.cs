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
/// Replacements back off (<see cref="RestartBackoff"/>): a worker that keeps dying at start, or
/// cannot be launched at all, is retried after a growing delay, with a few log lines, not a flood.
/// </summary>
internal sealed class WorkerGroup : IStatusSource
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
    private readonly RestartBackoff _backoff = RestartBackoff.CreateDefault();
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
    public WorkerGroup(WorkerLauncher launcher, WorkerSettings settings, IReadOnlyList<Socket> listeners, bool ownQueues, int backlog, int size, SourceLimit? perSource, ILogger logger, CancellationToken stopRequested)
    {
        _perSource = perSource;
        _slotListeners = new IReadOnlyList<Socket>[size];
        for (int slot = 0; slot < size; slot++)
        {
            if (slot == 0 || !ownQueues)
            {
                _slotListeners[slot] = listeners;
                continue;
            }

            Socket[] own = [.. listeners.Select(l => ServerListener.Sibling(l, backlog))];
            _siblings.AddRange(own);
            _slotListeners[slot] = own;
        }

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
        for (int slot = 0; slot < _size; slot++)
        {
            StartWorker(slot);
        }

        try
        {
            await _allReady.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the worker processes did not become ready within {timeout.TotalSeconds:0} s");
        }
    }

    public async Task StopAsync(TimeSpan drain)
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
        await ChildProcesses.ShutDownAsync(LiveWorkers, _allExited.Task, drain, _logger).ConfigureAwait(false);

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

    /// <summary>Closes the sockets this group added (after the workers have gone).</summary>
    public void CloseOwnListeners() => _siblings.ForEach(s => s.Dispose());

    private void StartWorker(int slot)
    {
        long started = Stopwatch.GetTimestamp();
        if (_launcher.TryLaunch(_settings, _logger, slot, out string? failure) is not { } worker)
        {
            RestartLater(slot, TimeSpan.Zero, $"cannot start a worker process: {failure}");
            return;
        }

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
            worker.Channel.Send(ChannelMessage.Listen(i, listeners.Count), listeners[i].SafeHandle);
        }

        Task monitor = MonitorAsync(worker, started);
        lock (_gate)
        {
            _monitors.RemoveAll(t => t.IsCompleted);
            _monitors.Add(monitor);
        }
    }

    /// <summary>
    /// After a failed start (<paramref name="uptime"/> zero) or a death: starts a replacement for
    /// <paramref name="slot"/> after the backoff's delay, logging <paramref name="what"/> when the backoff says it is worth a line.
    /// </summary>
    private void RestartLater(int slot, TimeSpan uptime, string what)
    {
        RestartBackoff.Decision decision;
        lock (_gate)
        {
            if (_stopping || _stopRequested.IsCancellationRequested)
            {
                return;
            }

            decision = _backoff.Failed(uptime);
            if (!decision.Log)
            {
                _unloggedFailures++;
            }
        }

        if (decision.Log)
        {
            int unlogged = Interlocked.Exchange(ref _unloggedFailures, 0);
            string retry = decision.Delay == TimeSpan.Zero
                ? "starting a replacement"
                : $"{decision.ConsecutiveFailures} failed starts in a row{(unlogged > 0 ? $" ({unlogged} not logged)" : string.Empty)}; retrying in {decision.Delay.TotalSeconds:0.###} s";
            WorkerLog.Replaced(_logger, what, retry);
        }

        if (decision.Delay == TimeSpan.Zero)
        {
            StartWorker(slot);
            return;
        }

        lock (_gate)
        {
            _restarts.RemoveAll(t => t.IsCompleted);
            _restarts.Add(StartAfterAsync(slot, decision.Delay));
        }
    }

    private async Task StartAfterAsync(int slot, TimeSpan delay)
    {
        // The timer of an abandoned delay lapses by itself within the backoff's Max.
        if (await Task.WhenAny(Task.Delay(delay, CancellationToken.None), _stopRestarts.Task).ConfigureAwait(false) == _stopRestarts.Task)
        {
            return;
        }

        StartWorker(slot);
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
        lock (_gate)
        {
            _workers.Remove(worker);
            _departed += worker.LastTotals with { Active = 0 };
            stopping = _stopping || _stopRequested.IsCancellationRequested;
            if (stopping && _workers.Count == 0)
            {
                _allExited.TrySetResult();
            }
        }

        if (!stopping)
        {
            Interlocked.Increment(ref _crashes);
            string how = worker.KilledBecause is { } why ? $"killed by the master: {why}" : ExitDescription.Of(worker.Process);
            RestartLater(
                worker.Slot,
                Stopwatch.GetElapsedTime(started),
                $"worker {worker.Pid} died ({how}); its clients are disconnected, queued and other workers' clients are unaffected");
        }

        worker.Dispose();
    }

    private Task ListenAsync(WorkerHandle worker) =>
        worker.ListenUntilExitAsync(message =>
        {
            switch (message.Type)
            {
                case ChannelMessageType.Ready:
                    if (Interlocked.Increment(ref _ready) >= _size)
                    {
                        _allReady.TrySetResult();
                    }

                    break;
                case ChannelMessageType.Admit:
                    Admit(worker, message);
                    break;
                case ChannelMessageType.Release:
                    Release(worker, message.Address());
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
            string state = report is null ? "not answering" : "serving";
            processes.Add(new ProcessStatus(workers[i].Pid, Environment.ProcessId, "worker", state, report?.Clients ?? []));
        }

        return new ModelStatus([], processes, totals, Interlocked.Read(ref _crashes));
    }

    private void Admit(WorkerHandle worker, ChannelMessage message)
    {
        System.Net.IPAddress source = message.Address();
        bool admitted = _perSource?.TryAdmit(source) ?? true;
        if (admitted && _perSource is not null)
        {
            lock (worker.Admitted)
            {
                worker.Admitted.Add(source);
            }
        }

        worker.Channel.Send(ChannelMessage.Admitted(message.C, admitted));
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
