using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Supervision;

/// <summary>
/// The workers model's supervisor: a fixed number of worker processes that accept directly on
/// listening sockets the master hands down and keeps open. The master stays off the accept and data
/// paths; it only keeps the group at full strength, replacing (and logging) any worker that dies.
/// </summary>
internal sealed class WorkerGroup
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

    private readonly CancellationToken _stopRequested;

    /// <param name="listeners">The master's listening sockets.</param>
    /// <param name="ownQueues">
    /// The listeners have SO_REUSEPORT: give each worker place sockets (and accept queues) of its own,
    /// so the kernel spreads connections evenly. The master keeps every socket open, so a dead
    /// worker's queue survives for its replacement. Otherwise all workers share the listeners.
    /// </param>
    public WorkerGroup(WorkerLauncher launcher, WorkerSettings settings, IReadOnlyList<Socket> listeners, bool ownQueues, int backlog, int size, ILogger logger, CancellationToken stopRequested)
    {
        _slotListeners = new IReadOnlyList<Socket>[size];
        for (int slot = 0; slot < size; slot++)
        {
            if (slot == 0 || !ownQueues)
            {
                _slotListeners[slot] = listeners;
                continue;
            }

            Socket[] own = [.. listeners.Select(l => Hosting.ServerListener.Sibling(l, backlog))];
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

        await ChildProcesses.ShutDownAsync(LiveWorkers, _allExited.Task, drain, _logger).ConfigureAwait(false);
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
        if (_launcher.TryLaunch(_settings, _logger, slot) is not { } worker)
        {
            return;
        }

        lock (_gate)
        {
            _workers.Add(worker);
        }

        IReadOnlyList<Socket> listeners = _slotListeners[slot];
        for (int i = 0; i < listeners.Count; i++)
        {
            worker.Channel.Send(ChannelMessage.Listen(i, listeners.Count), listeners[i].SafeHandle);
        }

        _ = MonitorAsync(worker);
    }

    private async Task MonitorAsync(WorkerHandle worker)
    {
        await worker.ListenUntilExitAsync(message =>
        {
            if (message.Type == ChannelMessageType.Ready && Interlocked.Increment(ref _ready) >= _size)
            {
                _allReady.TrySetResult();
            }
        }).ConfigureAwait(false);

        bool stopping;
        lock (_gate)
        {
            _workers.Remove(worker);
            stopping = _stopping || _stopRequested.IsCancellationRequested;
            if (stopping && _workers.Count == 0)
            {
                _allExited.TrySetResult();
            }
        }

        if (!stopping)
        {
            _logger.LogError(
                "worker {Pid} died ({How}); its clients are disconnected, queued and other workers' clients are unaffected; starting a replacement",
                worker.Pid, ExitDescription.Of(worker.Process));
            StartWorker(worker.Slot);
        }

        worker.Dispose();
    }
}
